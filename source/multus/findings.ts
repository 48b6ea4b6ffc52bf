// Every finding the doctor and `scan` can report, with its stable code and one-line title. One place: a check's
// declaration (source/doctor/checks.ts), a requirement (requirements.ts), a log family (logs.ts) and a step's
// outcome name the finding here; docs/findings.md has a page for each code (a test holds the two together).
//
// A code is `MULTUS-<AREA>-<NNN>` and never changes meaning or goes away: reports, tickets and upstream issues
// quote it. A new finding takes the next free number of its area; a finding that can no longer happen keeps its
// code and its page (which says so).
import type {FindingKind, InformerForbiddenKind} from './logs.js';

export interface FindingInfo {
	/** The stable code, e.g. MULTUS-RBAC-001. */
	code: string;
	/** What it is, in one line. */
	title: string;
}

/** The areas, in the order docs/findings.md lists them. */
export const findingAreas = {
	LOG: 'What the daemons log',
	RBAC: 'Access reviews',
	RULE: 'Rule gaps',
	FIND: 'Finding Multus',
	BIND: 'Bindings and identity',
	OWNER: 'Owners',
	CALLER: 'Your permissions',
	FIX: 'Writing the fix',
	ROLLOUT: 'Restart and rollout',
	VERIFY: 'Verification',
} as const;
export type FindingArea = keyof typeof findingAreas;

/** The well-formed shape of a code; its area is one of findingAreas. */
export const findingCodePattern = /^MULTUS-(LOG|RBAC|RULE|FIND|BIND|OWNER|CALLER|FIX|ROLLOUT|VERIFY)-\d{3}$/;

export const finding = {
	// What the daemons log (the doctor's sample of pods, and `scan`).
	podsForbiddenLines: {code: 'MULTUS-LOG-001', title: "The daemon's pod informer is denied list or watch on pods at cluster scope (its log says so)"},
	nadsForbiddenLines: {code: 'MULTUS-LOG-002', title: "The daemon's NetworkAttachmentDefinition informer is denied list or watch at cluster scope (its log says so)"},
	oldForbiddenLines: {code: 'MULTUS-LOG-003', title: 'Forbidden lines from before the rules were fixed; the RBAC is healthy now'},
	logsUnreadable: {code: 'MULTUS-LOG-004', title: "The Multus pods' logs could not be read, so they say nothing either way"},
	nothingRead: {code: 'MULTUS-LOG-005', title: 'scan read nothing: the input is empty, or a bundle holds no log file'},
	apiserverUnreachable: {code: 'MULTUS-LOG-101', title: 'Look-alike, not RBAC: the daemon cannot reach the API server'},
	namespacedGetForbidden: {code: 'MULTUS-LOG-102', title: "Look-alike: a get on one pod is forbidden in one namespace (the thin plugin's read)"},
	otherForbidden: {code: 'MULTUS-LOG-103', title: 'Look-alike: another request is forbidden (another resource, verb or namespace)'},
	unauthorized: {code: 'MULTUS-LOG-104', title: "Look-alike, not RBAC: the daemon's credentials are rejected (401 Unauthorized)"},
	informerSyncFailed: {code: 'MULTUS-LOG-105', title: "A daemon informer's cache never synced (a symptom: see the lines before it)"},

	// Access reviews (SubjectAccessReview for the daemon's identity, at cluster scope).
	podsListDenied: {code: 'MULTUS-RBAC-001', title: 'The Multus identity may not list pods at cluster scope'},
	podsWatchDenied: {code: 'MULTUS-RBAC-002', title: 'The Multus identity may not watch pods at cluster scope'},
	nadsListDenied: {code: 'MULTUS-RBAC-003', title: 'The Multus identity may not list NetworkAttachmentDefinitions at cluster scope'},
	nadsWatchDenied: {code: 'MULTUS-RBAC-004', title: 'The Multus identity may not watch NetworkAttachmentDefinitions at cluster scope'},
	grantedButDenied: {code: 'MULTUS-RBAC-005', title: 'The bound ClusterRoles grant the rules, yet the access review denies them'},

	// Rule gaps (the bound roles' rules against what the daemon needs).
	blockingRulesMissing: {code: 'MULTUS-RULE-001', title: 'The bound ClusterRoles lack a rule the thick daemon cannot work without'},
	advisoryRulesMissing: {code: 'MULTUS-RULE-002', title: 'The bound ClusterRoles lack a rule Multus uses (advisory: warned, never patched)'},
	podsInformerRule: {code: 'MULTUS-RULE-010', title: 'Missing rule: list and watch on pods (the pod informer)'},
	nadsInformerRule: {code: 'MULTUS-RULE-011', title: 'Missing rule: list and watch on NetworkAttachmentDefinitions (the NetworkAttachmentDefinition informer)'},
	podsGetRule: {code: 'MULTUS-RULE-020', title: 'Missing rule: get on pods'},
	podsStatusRule: {code: 'MULTUS-RULE-021', title: "Missing rule: update on pods/status (the pods' network-status annotation)"},
	nadsGetRule: {code: 'MULTUS-RULE-022', title: 'Missing rule: get on NetworkAttachmentDefinitions'},
	eventsCreateRule: {code: 'MULTUS-RULE-023', title: 'Missing rule: create on events'},
	eventsPatchRule: {code: 'MULTUS-RULE-024', title: 'Missing rule: patch on events (repeated events are dropped)'},
	draRules: {code: 'MULTUS-RULE-025', title: 'Missing rule: get on DRA ResourceClaims or list on ResourceSlices (resource.k8s.io)'},

	// Finding Multus.
	multusNotFound: {code: 'MULTUS-FIND-001', title: 'No Multus DaemonSet was found'},
	multusTwice: {code: 'MULTUS-FIND-002', title: 'Multus is installed more than once'},

	// Bindings and identity.
	crossNamespaceBinding: {code: 'MULTUS-BIND-001', title: "A ClusterRoleBinding names another namespace's ServiceAccount of the same name"},
	noRoleBound: {code: 'MULTUS-BIND-002', title: 'No ClusterRole is bound to the Multus identity'},
	onlySharedRoles: {code: 'MULTUS-BIND-003', title: 'Only roles of shared groups reach the Multus identity, none bound to it'},
	boundRoleMissing: {code: 'MULTUS-BIND-004', title: 'A binding to the Multus identity names a ClusterRole that does not exist'},
	perNodeIdentity: {code: 'MULTUS-BIND-005', title: 'Per-node certificates: each daemon is its node (system:multus:NODE), not its ServiceAccount'},
	sharedRoleDedicated: {code: 'MULTUS-BIND-006', title: 'The role is bound to others too: the fix goes to a ClusterRole of its own'},
	sharedRoleRefused: {code: 'MULTUS-BIND-007', title: 'The role is bound to others too, and no ClusterRole of its own can be made'},
	dedicatedNameTaken: {code: 'MULTUS-BIND-008', title: "The dedicated ClusterRole or ClusterRoleBinding's name is taken by another object"},
	aggregatedRole: {code: 'MULTUS-BIND-009', title: 'The bound ClusterRole is aggregated: its source role is patched'},
	aggregateWithoutSource: {code: 'MULTUS-BIND-010', title: 'The bound ClusterRole is aggregated and has no source role to patch'},

	// Owners.
	roleManaged: {code: 'MULTUS-OWNER-001', title: 'The ClusterRole is managed by Helm, an operator or GitOps: a manual patch would be reverted'},
	roleOptedOut: {code: 'MULTUS-OWNER-002', title: 'The ClusterRole opted out of updates (rbac.authorization.kubernetes.io/autoupdate: "false")'},

	// Your permissions.
	callerLacksPermission: {code: 'MULTUS-CALLER-001', title: 'You lack a permission the fix needs'},
	callerCannotReadLogs: {code: 'MULTUS-CALLER-002', title: "You may not read the Multus pods' logs: the fix can be applied, not proven"},

	// Writing the fix.
	recordTooLarge: {code: 'MULTUS-FIX-001', title: 'The ClusterRole is too large for the change record'},
	writeInDoubt: {code: 'MULTUS-FIX-002', title: 'A write got no answer: it may or may not have been applied'},
	roleChangedMeanwhile: {code: 'MULTUS-FIX-003', title: 'The ClusterRole changed while the doctor was asking: planned again'},

	// Restart and rollout.
	rolloutTimedOut: {code: 'MULTUS-ROLLOUT-001', title: 'The rollout did not finish within --timeout'},
	podCreationFailed: {code: 'MULTUS-ROLLOUT-002', title: 'The DaemonSet controller cannot create the new pods (FailedCreate)'},
	serviceAccountMissing: {code: 'MULTUS-ROLLOUT-003', title: "The DaemonSet's ServiceAccount does not exist: not restarted"},
	onDelete: {code: 'MULTUS-ROLLOUT-004', title: 'The DaemonSet uses the OnDelete update strategy: not restarted'},
	unreadyBeforeRestart: {code: 'MULTUS-ROLLOUT-005', title: 'Multus pods were not ready before the restart'},
	daemonSetDeleted: {code: 'MULTUS-ROLLOUT-006', title: 'The DaemonSet was deleted during the rollout'},
	notRestarted: {code: 'MULTUS-ROLLOUT-007', title: 'Not restarted (--no-restart): the running daemons recover by themselves'},

	// Verification.
	accessStillDenied: {code: 'MULTUS-VERIFY-001', title: 'Not fixed: the access review still denies after the change'},
	daemonStillDenied: {code: 'MULTUS-VERIFY-002', title: 'Not fixed: a daemon still logs a denial after the change'},
	unproven: {code: 'MULTUS-VERIFY-003', title: "Patched, not proven: the daemons' own logs could not show the fix"},
	startupLinesHidden: {code: 'MULTUS-VERIFY-004', title: "The daemon config hides the daemon's own start-up lines (logToStderr, logLevel)"},
} as const satisfies Record<string, FindingInfo>;

export type FindingName = keyof typeof finding;
export type FindingCode = (typeof finding)[FindingName]['code'];

/** Every finding, in the order of the registry (and of docs/findings.md). */
export const allFindings: readonly FindingInfo[] = Object.values(finding);

/** Where the findings are documented; each code's page is its lower-case anchor there. */
export const findingsDocument = 'docs/findings.md';

/** The page of a code: `docs/findings.md#multus-rbac-001`. */
export function findingPage(code: string): string {
	return `${findingsDocument}#${code.toLowerCase()}`;
}

/** The title of a code, if it is one. */
export function findingTitle(code: string): string | undefined {
	return allFindings.find(info => info.code === code)?.title;
}

/** What each classified log line is, as a finding (the daemon's start-up lines are none). */
export const logFinding: Record<Exclude<FindingKind, 'daemon-started' | 'daemon-ready'>, FindingInfo> = {
	'pods-forbidden': finding.podsForbiddenLines,
	'nads-forbidden': finding.nadsForbiddenLines,
	'apiserver-unreachable': finding.apiserverUnreachable,
	'namespaced-get-forbidden': finding.namespacedGetForbidden,
	'other-forbidden': finding.otherForbidden,
	unauthorized: finding.unauthorized,
	'informer-sync-failed': finding.informerSyncFailed,
};

/** The forbidden families' findings (the log checks'). */
export const forbiddenFamilyFinding: Record<InformerForbiddenKind, FindingInfo> = {
	'pods-forbidden': finding.podsForbiddenLines,
	'nads-forbidden': finding.nadsForbiddenLines,
};

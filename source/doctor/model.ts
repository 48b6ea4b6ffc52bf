import type {V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule} from '@kubernetes/client-node';
import type {ConnectionInfo} from '../kube/config.js';
import type {AccessAnswer} from '../kube/client.js';
import type {MultusDaemonSet, Owner, RoleGrant} from '../multus/discovery.js';
import type {Requirement, RequirementLevel} from '../multus/requirements.js';
import type {AccessQuestion, CheckStatus, RuleGap} from '../multus/checks.js';
import type {InformerForbiddenKind} from '../multus/logs.js';
import type {JsonPatchOperation, RolePatchPlan} from '../multus/rbac.js';
import type {RolloutProgress, RolloutStatus} from '../multus/rollout.js';
import type {ErrorKind} from '../errors.js';
import type {ProofState} from '../multus/proof.js';
import type {StopCause} from '../signals.js';

/** The doctor's steps, in order. */
export const stepIds = ['connect', 'find', 'detect', 'plan', 'confirm', 'patch', 'restart', 'rollout', 'verify'] as const;
export type StepId = (typeof stepIds)[number];
export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

export const stepTitles: Record<StepId, string> = {
	connect: 'Connect',
	find: 'Find Multus',
	detect: 'Detect',
	plan: 'Current vs needed',
	confirm: 'Confirm',
	patch: 'Patch',
	restart: 'Restart',
	rollout: 'Rollout',
	verify: 'Verify',
};

export interface Connection extends ConnectionInfo {
	serverVersion: string;
}

export interface BoundRole {
	name: string;
	rules: V1PolicyRule[];
	resourceVersion: string | undefined;
	owner: Owner | undefined;
	autoupdateDisabled: boolean;
	grants: RoleGrant[];
}

export interface Found {
	daemonSet: MultusDaemonSet;
	desired: number;
	ready: number;
	selector: string;
	identity: {user: string; groups: string[]};
	roles: BoundRole[];
	/** Bindings to the identity whose ClusterRole does not exist (deleted, or never created): they grant nothing. */
	missingRoles?: Array<{role: string; bindings: string[]}>;
	lookalikeBindings: string[];
	/** Owner of the DaemonSet itself (restart would be reverted/ignored only in rare cases; shown for context). */
	daemonSetOwner: Owner | undefined;
}

/** Evidence from the multus pods' logs (bounded reads of a sample of pods). */
export interface LogEvidence {
	state: 'found' | 'clean' | 'unavailable';
	podsRead: number;
	podsSampled: string[];
	bytesRead: number;
	count: number;
	verbs: Array<'list' | 'watch'>;
	users: string[];
	nodes: string[];
	firstSeen: string | undefined;
	lastSeen: string | undefined;
	examples: string[];
	lookalikes: Array<{kind: string; count: number; example: string}>;
	errors: string[];
	/** Forbidden lines by informer family (pods-forbidden, nads-forbidden); `count` is their sum. */
	families: Record<InformerForbiddenKind, number>;
}

export interface AccessEvidence {
	list: AccessAnswer;
	watch: AccessAnswer;
}

export interface RuleEvidence {
	requirements: Array<Requirement & {covered: boolean}>;
	missing: V1PolicyRule[];
	/** Advisory gaps (warned about, never patched). */
	advisoryMissing: V1PolicyRule[];
}

/**
 * One declared check's result (source/doctor/checks.ts): its stable id, the code of the finding its failure is,
 * whether it blocks, and what it found. A rules check's gaps carry each missing requirement's own code.
 */
export type CheckResult = {id: string; code: string; blocks: boolean; status: CheckStatus} & (
	| {kind: 'access'; question: AccessQuestion; answer: AccessAnswer}
	| {kind: 'rules'; level: RequirementLevel; missing: V1PolicyRule[]; gaps: RuleGap[]}
	| {kind: 'logs'; family: InformerForbiddenKind; count: number}
);

export interface Diagnosis {
	/** Every declared check, in declaration order: the verdict is broken when a blocking one failed. */
	checks: CheckResult[];
	logs: LogEvidence;
	access: AccessEvidence;
	rules: RuleEvidence;
	/** healthy: nothing to fix; broken: the fix applies. */
	verdict: 'healthy' | 'broken';
	summary: string;
}

/** Permissions the caller needs for the change, and whether they have each. */
export interface PermissionCheck {
	description: string;
	verb: string;
	group: string;
	resource: string;
	subresource?: string;
	name?: string;
	namespace?: string;
	allowed: boolean;
	/** Needed only to show evidence (reading logs): its absence is said, but does not stop the fix. */
	optional?: boolean;
	/** What an admin would grant, as a rule line. */
	grant: string;
}

export interface Plan {
	role: string;
	resourceVersion: string | undefined;
	patch: RolePatchPlan;
	owner: Owner | undefined;
	autoupdateDisabled: boolean;
	/** Why the plan cannot be applied here, if it cannot. */
	blocked: 'managed' | 'autoupdate' | undefined;
	/** YAML for `kubectl auth reconcile -f -` (the same fix, as a file). */
	reconcileYaml: string;
	/** The whole ClusterRole after the fix, for a GitOps repository (`--emit manifest`). */
	manifestYaml: string;
	/** When the bound role is aggregated: which source role is patched instead, and why that one. */
	aggregate?: {role: string; source: string; sources: string[]; why: string};
	/** The JSON patch sent, including the change-record annotations. */
	operations: JsonPatchOperation[];
	permissions: PermissionCheck[];
	serverDryRun: 'passed' | 'skipped' | string;
	/** Every subject the change gives anything, one line each (`ServiceAccount kube-system:multus (ClusterRoleBinding multus)`). */
	gains: string[];
	/**
	 * True when the caller may not list RoleBindings: who else the role reaches is then unknown, so whether it may
	 * be patched or needs a role of its own is not judged, and no fix is offered as a file (`--emit`, `report`).
	 */
	reachUnseen: boolean;
	/**
	 * When the role Multus is bound to is bound to others too: the rules go to a new ClusterRole and
	 * ClusterRoleBinding for the Multus identity alone (`role` above is that new role), the shared role is left alone.
	 */
	dedicated?: DedicatedFix;
}

/** The ClusterRole and ClusterRoleBinding the doctor creates for the Multus identity alone, and why. */
export interface DedicatedFix {
	clusterRole: V1ClusterRole;
	clusterRoleBinding: V1ClusterRoleBinding;
	/** The role that would have been patched, bound to others too, and its rules (left as they are). */
	sharedRole: string;
	sharedRules: V1PolicyRule[];
	/** Who else is bound to it, one line each. */
	othersBound: string[];
	/**
	 * Which of the two an interrupted earlier run left, exactly as this fix would create it (the role without its
	 * binding, as a refused or unanswered binding leaves it): kept as it is, only the other one is created.
	 */
	existing: {role: boolean; binding: boolean};
}

export interface PatchResult {
	role: string;
	resourceVersion: string | undefined;
	rulesAfter: V1PolicyRule[];
	dryRun: boolean;
	attempts: number;
	/** The ClusterRoleBinding created with a dedicated role (the role itself was created, not patched). */
	createdBinding?: string;
	/** With createdBinding: the dedicated ClusterRole was there from an earlier run, exactly as planned, and kept (not created). */
	keptRole?: boolean;
	/** With createdBinding: that ClusterRoleBinding was there from an earlier run, exactly as planned, and kept (not created). */
	keptBinding?: boolean;
	/** The undo command for this change, with the run's connection and selection flags (undoHint). */
	undo?: string;
}

/**
 * A dedicated ClusterRole the Patch step created (or found exactly as planned, left by an earlier run), recorded
 * before its ClusterRoleBinding is created: a binding that is then refused leaves this role, and must say so.
 */
export interface CreatedRole {
	role: string;
	/** The ClusterRoleBinding still to be created with it. */
	binding: string;
	rules: V1PolicyRule[];
	/** True when it was there already (an earlier run's, exactly as planned), not created by this run. */
	existed: boolean;
}

export interface RestartResult {
	restartedAt: string;
	generation: number;
	dryRun: boolean;
	strategy: string;
}

export interface RolloutView {
	status: RolloutStatus;
	progress: RolloutProgress;
	startedAt: number;
	finishedAt: number | undefined;
	reconnects: number;
}

/** What one sampled daemon's own log proved (see multus/proof.ts). */
export interface PodProof {
	pod: string;
	node: string;
	state: ProofState;
	reason: string;
	/** From the daemon's start line to its readiness line. */
	syncMs: number | null;
	/** From the start of the proof to the moment the doctor saw it proven. */
	readMs: number | null;
	/** The daemon's readiness line, as its log stamps it (the daemon's own moment of sync). */
	readyAt: string | null;
	/** When the doctor judged it proven (its clock): never before readyAt; the benchmark holds it to at most 1 s after. */
	provenAt: string | null;
}

/**
 * The proof from the daemons: new (pods the restart created, judged from their start-up lines) or running (the
 * daemons kept running through the fix, judged from their silence past the reflector's retry gap).
 */
export interface Proof {
	mode: 'new' | 'running';
	state: ProofState;
	/** Why, for the first pod in that state (empty while pending). */
	reason: string;
	pods: PodProof[];
	waitedMs: number;
	/** The user (Ctrl-C) or a signal stopped the wait before every daemon was judged: the fix stays applied, just not proven. */
	stopped?: boolean;
	/** What stopped it, when it was stopped by Ctrl-C or a signal. */
	stoppedBy?: StopCause;
}

export interface Verification {
	/** The access reviews asked again after the fix (the same declared checks as detect's): every blocking one must allow. */
	checks: CheckResult[];
	access: AccessEvidence;
	logs: LogEvidence;
	proof: Proof;
	passed: boolean;
	undo: string;
}

export type Verdict = 'healthy' | 'fixed' | 'unproven' | 'problem' | 'declined' | 'dry-run' | 'managed' | 'failed' | 'cancelled';

export interface Outcome {
	verdict: Verdict;
	exitCode: number;
	message: string;
	/** The stable code of the finding the outcome is (source/multus/findings.ts), when it is one. */
	code?: string;
	/** The context that made this run's change (a fleet reaching the same Multus twice makes it once), when another did. */
	through?: string;
}

/**
 * The answer for a run whose change another run of the same fleet made (it reached the same Multus DaemonSet
 * through another context): that run's outcome, which is this one's.
 */
export interface ChangedThrough {
	through: string;
	outcome: Outcome;
	/**
	 * What that run wrote, for this run to see through its own connection before it takes the outcome as its own
	 * (a uid is the server's word: another cluster could claim it): the restart it stamped, the rules it left.
	 */
	wrote: {restartedAt?: string; role?: string; rulesAfter?: V1PolicyRule[]};
}

export interface FailureInfo {
	step: StepId;
	kind: ErrorKind;
	message: string;
	hint: string | undefined;
	/** The stable code of the finding the failure is, when it is one. */
	code?: string;
}

/** True when the failure is a write that got no answer (a patch or a restart, or a create in the Patch step): it may have landed. */
export function unansweredWrite(failure: Pick<FailureInfo, 'step' | 'kind'>): boolean {
	return (failure.kind === 'Timeout' || failure.kind === 'Unreachable') && (failure.step === 'patch' || failure.step === 'restart');
}

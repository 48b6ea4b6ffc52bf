import type {V1PolicyRule} from '@kubernetes/client-node';
import {shellQuote} from '../shell.js';
import type {ConnectionOptions} from '../options.js';
import {describeRule} from '../multus/rbac.js';
import {describeSubject} from '../multus/subjects.js';
import {formatDuration} from '../duration.js';
import type {DoctorState} from './machine.js';
import type {CheckResult, CreatedRole, Diagnosis, FailureInfo, Found, LogEvidence, PatchResult, Plan, Proof, RestartResult, RolloutView, StepId, Verification} from './model.js';
import {stepTitles} from './model.js';
import {noPod, type RolloutProgress} from '../multus/rollout.js';
import type {MultusDaemonSet} from '../multus/discovery.js';
import type {AccessAnswer} from '../kube/client.js';
import {deniedAccess} from './evidence.js';
import type {InformerName} from '../multus/versions.js';
import {finding, forbiddenFamilyFinding, logFinding} from '../multus/findings.js';
import {isCtrlC, type StopCause} from '../signals.js';

// What each step says, as styled lines. The Ink views and the plain printer both render these, so the words
// are written once; only the drawing differs.

export type Style = 'ok' | 'bad' | 'warn' | 'dim' | 'add' | 'bold' | 'accent' | 'plain';
export interface Segment {
	text: string;
	style?: Style;
}
export type Line = Segment[];

const s = (text: string, style: Style = 'plain'): Segment => ({text, style});
const line = (...segments: Array<Segment | string>): Line => segments.map(seg => (typeof seg === 'string' ? s(seg) : seg));

export const marks = {ok: '✔', bad: '✖', warn: '!', pending: '·', add: '+', skipped: '–'} as const;

/** A finding's codes at the end of its line, in brackets, so that they can be quoted (docs/findings.md). */
export function codeSegment(...codes: Array<string | undefined>): Segment {
	const shown = [...new Set(codes.filter((code): code is string => Boolean(code)))];
	return s(shown.length > 0 ? `  [${shown.join(', ')}]` : '', 'dim');
}

// What the flow says: its outcomes, notes and failures, in the user's words. The steps decide; these phrase.

const dsName = (ds: {namespace: string; name: string}) => `${ds.namespace}/${ds.name}`;
const where = (namespace: string | undefined) => (namespace ? `namespace ${namespace}` : 'any namespace');

/** An informer the daemon runs that may not list or watch what it needs: the verbs the reviews denied. */
export interface InformerDenial {
	informer: InformerName;
	resource: string;
	verbs: string[];
}

/** The daemon's informers as the user knows them. */
export const informerNames: Record<InformerName, string> = {pod: 'pod', 'net-attach-def': 'NetworkAttachmentDefinition'};

/** Where the cluster was left, as far as the flow knows it (its own facts, or a renderer's state: same names). */
export interface ClusterFacts {
	found?: Found | undefined;
	plan?: Plan | undefined;
	createdRole?: CreatedRole | undefined;
	patch?: PatchResult | undefined;
	restart?: RestartResult | undefined;
	rollout?: RolloutView | undefined;
}

/**
 * What an interrupted earlier run left of the dedicated fix, kept as it is (only the other one is created):
 * "ClusterRole X exists from an earlier run, exactly as the fix would create it". Undefined when it left nothing.
 */
export function keptByPlanWords(plan: Plan): string | undefined {
	const existing = plan.dedicated?.existing;
	const kept = existing?.role ? `ClusterRole ${plan.role}` : existing?.binding ? `ClusterRoleBinding ${plan.dedicated?.clusterRoleBinding.metadata?.name ?? ''}` : undefined;
	return kept && `${kept} exists from an earlier run, exactly as the fix would create it`;
}

/** A dedicated ClusterRole that is there without its binding: "ClusterRole X was created (its rules)". */
function createdRoleWords(created: CreatedRole): string {
	return `ClusterRole ${created.role} ${created.existed ? 'was there already (an earlier run created it)' : 'was created'} (${created.rules.map(describeRule).join('; ')})`;
}

/**
 * The same state in a few words, for a fleet table's cell before the error: "role created, binding refused" (or
 * "in doubt" when its create got no answer; "role there from an earlier run" when this run did not create it).
 */
export function createdRoleBrief(created: CreatedRole, bindingInDoubt: boolean): string {
	return `role ${created.existed ? 'there from an earlier run' : 'created'}, binding ${bindingInDoubt ? 'in doubt' : 'refused'}`;
}

export const say = {
	namespaceMissing: (namespace: string) => ({
		message: `namespace "${namespace}" does not exist`,
		hint: 'check -n (kubectl get namespaces), or leave it out to search all namespaces',
	}),
	daemonSetMissing: (name: string, namespace: string | undefined) => ({
		message: `no DaemonSet "${name}" in ${where(namespace)}`,
		hint: 'check the name with kubectl get ds -A',
	}),
	multusMissing: (namespace: string | undefined) => ({
		message: `no Multus DaemonSet found in ${where(namespace)} (looked for multus images, app/name=multus labels, kube-multus containers, multus-daemon or thin_entrypoint commands)`,
		hint: 'if Multus runs under another name, point at it with -n NAMESPACE --daemonset NAME',
	}),
	multusTwice: (installs: MultusDaemonSet[]) => ({
		message: `Multus is installed more than once: ${installs.map(ds => `${dsName(ds)} (${ds.mode})`).join(', ')}`,
		hint: 'pick one with -n NAMESPACE and/or --daemonset NAME, and consider removing the duplicate install',
	}),
	/** The evidence line of a DaemonSet taken on the user's word. */
	namedWithFlag: 'named with --daemonset',

	healthyThin: (ds: MultusDaemonSet) => `Healthy: ${dsName(ds)} runs the thin plugin, which does not list or watch pods; get/update is enough.`,
	healthy: (user: string) => `Healthy: ${user} can list and watch pods cluster-wide.`,
	healthyWithOldLines: (user: string, count: number) =>
		`Healthy RBAC: ${user} can list and watch pods. The pods still show ${count} old forbidden line(s) from before the rules were fixed; the reflectors recover on their own.`,
	/** Each informer that cannot list or watch what it needs, with the verbs the access reviews denied (none: the rule is missing). */
	broken: (denials: InformerDenial[]) => {
		const parts = denials.map((denial, index) => `${index === 0 ? "the thick daemon's" : 'its'} ${informerNames[denial.informer]} informer cannot ${denial.verbs.join(' or ') || 'list/watch'} ${denial.resource}`);
		return `Broken: ${parts.join(', and ') || 'a blocking check failed'} at cluster scope.`;
	},

	noRoleBound: (ds: MultusDaemonSet) => ({
		message: `no ClusterRole is bound to ServiceAccount ${ds.namespace}:${ds.serviceAccount}`,
		hint: `create the binding and role, for example: kubectl create clusterrole multus-pods --verb=get,list,watch --resource=pods && kubectl create clusterrolebinding multus-pods --clusterrole=multus-pods --serviceaccount=${shellQuote(`${ds.namespace}:${ds.serviceAccount}`)}`,
	}),
	onlySharedRoles: (ds: MultusDaemonSet, user: string) => ({
		message: `no ClusterRole is bound to ${ds.perNodeCertificates ? 'Group system:multus or User ' + user : `ServiceAccount ${ds.namespace}:${ds.serviceAccount}`} itself (only through shared groups)`,
		hint: `bind one: kubectl create clusterrole multus-pods --verb=get,list,watch --resource=pods && kubectl create clusterrolebinding multus-pods --clusterrole=multus-pods --serviceaccount=${shellQuote(`${ds.namespace}:${ds.serviceAccount}`)}`,
	}),
	boundRoleMissing: (ds: MultusDaemonSet, user: string, missing: {role: string; bindings: string[]}, rules: V1PolicyRule[]) => ({
		message: `ClusterRoleBinding ${missing.bindings.join(', ')} binds ${ds.perNodeCertificates ? user : `ServiceAccount ${ds.namespace}:${ds.serviceAccount}`} to ClusterRole ${missing.role}, which does not exist (deleted?), so it grants nothing`,
		hint: `recreate it with every rule Multus needs: printf %s ${shellQuote(JSON.stringify({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: missing.role}, rules}))} | kubectl apply -f -`,
	}),
	recordTooLarge: (role: string, rules: number, bytes: number, limit: number) => ({
		message: `ClusterRole ${role} is too large for the change record: with its ${rules} rules the record (the rules before and after, for undo) makes its annotations ${Math.ceil(bytes / 1024)} KiB, past the API server's ${limit / 1024} KiB, so the patch would be refused`,
		hint: `apply the fix without a record: kubectl multus doctor --emit patch > fix.json && kubectl patch clusterrole ${shellQuote(role)} --type=json --patch-file fix.json (kubectl multus undo will not know of it), then restart the DaemonSet`,
	}),
	aggregateWithoutSource: (role: string) => ({
		message: `ClusterRole ${role} is aggregated and has no source role to patch`,
		hint: `create a ClusterRole with pods list/watch and a label matching ${role}'s aggregationRule`,
	}),
	/** Why this source of an aggregated role is the one patched. */
	aggregateSourceWhy: (withPods: string[]) =>
		withPods.length === 1
			? 'the only source with rules on pods'
			: withPods.length > 1
				? `the first by name of the sources with rules on pods (${withPods.join(', ')})`
				: 'no source has rules on pods; the first source by name',
	permissionPatchRole: (role: string) => ({description: `patch ClusterRole ${role}`, grant: `clusterroles.rbac.authorization.k8s.io "${role}": patch`}),
	permissionPatchDaemonSet: (namespace: string, name: string) => ({description: `patch DaemonSet ${namespace}/${name}`, grant: `daemonsets.apps "${name}" in ${namespace}: patch`}),
	permissionReviews: {description: 'create subjectaccessreviews (to verify the fix)', grant: 'subjectaccessreviews.authorization.k8s.io: create'},
	permissionLogs: (namespace: string) => ({description: `get pods/log in ${namespace} (to read the new pods' logs when verifying)`, grant: `pods/log in ${namespace}: get`}),
	permissionEscalate: (role: string, lacking: Array<{verb: string; resource: string}>, verb: 'escalate' | 'bind') => ({
		description: `${verb === 'bind' ? 'bind a role that grants' : 'grant'} ${lacking.map(atom => `${atom.verb} ${atom.resource}`).join(', ')} (RBAC lets you grant only what you hold yourself, or with ${verb})`,
		grant: `${lacking.map(atom => `pods: ${atom.verb}`).join(', ')} at cluster scope, or clusterroles.rbac.authorization.k8s.io "${role}": ${verb}`,
	}),
	permissionListRoleBindings: {description: 'list RoleBindings in all namespaces (to see who else a patched role would reach)', grant: 'rolebindings.rbac.authorization.k8s.io: list, at cluster scope'},
	permissionCreate: (kind: string, resource: string) => ({description: `create a ${kind}`, grant: `${resource}.rbac.authorization.k8s.io: create`}),
	permissionDelete: (kind: string, resource: string, name: string) => ({description: `delete ${kind} ${name}`, grant: `${resource}.rbac.authorization.k8s.io "${name}": delete`}),
	sharedRoleRefused: (role: string, others: string[], reason: string, missing: V1PolicyRule[]) => ({
		message: `ClusterRole ${role} is bound to others too (${others.join(', ')}), so patching it would give them ${missing.map(describeRule).join('; ')} as well; and ${reason}`,
		hint: 'bind a ClusterRole with those rules to the Multus identity alone (kubectl create clusterrole and kubectl create clusterrolebinding), or remove the other subjects from the binding, then run the doctor again',
	}),

	checkAlreadyGranted: (role: string) => `Problem found (--check: nothing changed): ClusterRole ${role} already grants the rules, yet the access review denies list/watch on pods.`,
	nothingToPatch: (role: string) => `ClusterRole ${role} already grants what is needed; nothing to patch.`,
	checkFix: (plan: Plan) =>
		plan.reachUnseen
			? `Problem found (--check: nothing changed). Fix: ${plan.patch.missing.map(describeRule).join('; ')} for the Multus identity; ${say.reachUnseen(plan).message}.`
			: `Problem found (--check: nothing changed). Fix: ${plan.patch.missing.map(describeRule).join('; ')} ${
				plan.dedicated
					? `${plan.dedicated.existing.role ? `in ClusterRole ${plan.role}` : `in a new ClusterRole ${plan.role}`} bound to the Multus identity alone (ClusterRole ${plan.dedicated.sharedRole} is bound to others too${keptByPlanWords(plan) ? `; ${keptByPlanWords(plan)}, and only the ${plan.dedicated.existing.role ? 'ClusterRoleBinding' : 'ClusterRole'} is created` : ''})`
					: `on ClusterRole ${plan.role}`
			}; run without --check to apply.`,
	/** The caller may not list RoleBindings: who else the role reaches is unknown, so where the rules may go is not judged. */
	reachUnseen: (plan: Plan) => ({
		message: `where the rules may go is not judged: you may not list RoleBindings, so who else ClusterRole ${plan.dedicated?.sharedRole ?? plan.role} reaches through them is unknown, and patching it could give them ${plan.patch.missing.map(describeRule).join('; ')} too`,
		hint: `ask an admin to grant ${say.permissionListRoleBindings.grant}, or run the doctor as someone who has it`,
	}),
	optedOut: (role: string) =>
		`ClusterRole ${role} opted out of automatic updates (rbac.authorization.kubernetes.io/autoupdate: "false"), so the doctor does not write it, like kubectl auth reconcile. Add the rules by hand or change the annotation.`,
	managed: (plan: Plan) => `ClusterRole ${plan.role} is managed by ${plan.owner?.name}; a manual patch would be reverted. Fix it at the source: ${plan.owner?.fix}. (--force patches it anyway.)`,
	lackPermission: (missing: Array<{description: string; grant: string}>, what = 'apply the fix') => ({
		message: `you lack permission to ${what}: ${missing.map(p => p.description).join('; ')}`,
		hint: `ask an admin to grant: ${missing.map(p => p.grant).join('; ')}`,
	}),
	dryRun: (plan: Plan, mode: string) => `Dry run (${mode}${plan.serverDryRun === 'passed' ? ', accepted by the API server' : ''}): nothing changed. Run without --dry-run to apply.`,
	declined: (interactive: boolean) => (interactive ? 'Declined: nothing was changed.' : 'Nothing was changed: without a terminal, changes need --yes (or use --dry-run to preview).'),
	/**
	 * A fleet's context waits for its turn: for every context before it that reaches the same Multus (`same`) or has
	 * not found its Multus yet (`unknown`), each named (folded past a few).
	 */
	waitingForTurn: ({same, unknown}: {same: readonly string[]; unknown: readonly string[]}) => {
		const one = (names: readonly string[]) => names.length === 1;
		const reaching = same.length === 0 ? '' : one(same)
			? `Context ${same[0]} reaches the same Multus and comes first: waiting for it (one change, not two).`
			: `Contexts ${foldedNames(same, 5)} reach the same Multus and come first: waiting for them (one change, not two).`;
		if (unknown.length === 0) return reaching;
		const finding = one(unknown) ? `context ${unknown[0]} to find its Multus` : `contexts ${foldedNames(unknown, 5)} to find their Multus`;
		if (reaching) return `${reaching} Also waiting for ${finding} (${one(unknown) ? 'it comes' : 'they come'} first).`;
		return `Waiting for ${finding}: ${one(unknown) ? 'it comes' : 'they come'} first, and a Multus two contexts reach is changed once, through the first.`;
	},
	sameMultusNotSeen: (through: string, ds: MultusDaemonSet) =>
		`Context ${through} named the same DaemonSet uid${ds.uid ? ` (${ds.uid})` : ''}, but its change is not seen through this context (DaemonSet ${dsName(ds)} without its restart, or its role without its rules): planning on its own.`,
	changedThrough: (through: string, ds: MultusDaemonSet | undefined, message: string) =>
		`Context ${through} reaches the same Multus${ds ? ` (DaemonSet ${dsName(ds)}${ds.uid ? `, uid ${ds.uid}` : ''})` : ''}, and its outcome is this one's (one change, not two): ${message}`,
	conflictWhilePlanning: (role: string) => `ClusterRole ${role} changed while the doctor was planning (someone else wrote it): re-reading it and planning again.`,
	conflict: (role: string) => `ClusterRole ${role} changed while we were asking (someone else wrote it): re-reading it and planning again.`,

	noRestart: (ds: MultusDaemonSet) =>
		`--no-restart: DaemonSet ${dsName(ds)} not restarted. Its reflectors retry with backoff and recover by themselves; restart later with kubectl -n ${shellQuote(ds.namespace)} rollout restart ${shellQuote(`ds/${ds.name}`)}.`,
	onDelete: (ds: MultusDaemonSet, strategy: string, selector: string) =>
		`DaemonSet ${dsName(ds)} uses the ${strategy} update strategy: a restart only replaces pods when they are deleted, so the doctor does not restart or wait. The reflectors recover by themselves; to restart now, delete the pods node by node: kubectl -n ${shellQuote(ds.namespace)} delete pod -l ${shellQuote(selector)} --field-selector spec.nodeName=NODE`,
	rolloutTimedOut: (ds: MultusDaemonSet, after: string, status: string, progress: RolloutProgress) => {
		const nodes = progress.pending.map(p => `${p.node} (${p.pod ?? 'no pod'}: ${p.reason})`).join(', ');
		return {
			message: `rollout of DaemonSet ${dsName(ds)} did not finish within ${after}: ${status}${progress.pendingTotal ? ` Still pending on ${progress.pendingTotal} node(s): ${nodes}${progress.pendingTotal > progress.pending.length ? ', …' : ''}` : ''}`,
			hint: `the ClusterRole fix is in place; the rollout continues in the background. Look at the pending pods (kubectl -n ${shellQuote(ds.namespace)} describe pod POD) and wait with kubectl -n ${shellQuote(ds.namespace)} rollout status ${shellQuote(`ds/${ds.name}`)}`,
		};
	},
	serviceAccountMissing: (ds: MultusDaemonSet) => ({
		message: `ServiceAccount ${ds.namespace}:${ds.serviceAccount}, which DaemonSet ${dsName(ds)} runs its pods as, does not exist: a restart would delete each old pod and the controller could not create the new one (serviceaccount "${ds.serviceAccount}" not found), taking Multus off the node. Not restarted`,
		hint: `recreate it (kubectl -n ${shellQuote(ds.namespace)} create serviceaccount ${shellQuote(ds.serviceAccount)}), then run kubectl multus doctor again`,
	}),
	unreadyBeforeRestart: (ds: MultusDaemonSet, unready: Array<{pod: string; node: string; reason: string}>, count: number, desired: number) =>
		`${count} of ${desired} Multus pod(s) of ${dsName(ds)} are not ready before the restart${unready.length ? `: ${unready.slice(0, 5).map(p => `${p.node || '?'} (${p.pod}: ${p.reason})`).join(', ')}${unready.length > 5 ? ', …' : ''}` : ''}. The restart replaces them too, but does not fix why they are not ready, and the rollout waits for them.`,
	podCreateBlocked: (reason: string) => `no pod: the DaemonSet controller cannot create it (${reason})`,
	podNotCreatedYet: 'no pod: the old one was deleted, the new one is not created yet',
	podCreationFailed: (ds: MultusDaemonSet, nodes: string[], reason: string) => {
		const account = /serviceaccount "([^"]+)" not found/.exec(reason);
		return {
			message: `rollout of DaemonSet ${dsName(ds)} cannot finish: the DaemonSet controller fails to create the new pod${nodes.length ? ` for ${nodes.join(', ')}, which ${nodes.length === 1 ? 'has' : 'have'} no Multus pod now` : ''}: ${reason}`,
			hint: `${account ? `recreate ServiceAccount ${ds.namespace}:${account[1]} (kubectl -n ${shellQuote(ds.namespace)} create serviceaccount ${shellQuote(account[1]!)})` : `fix what the controller reports (kubectl -n ${shellQuote(ds.namespace)} get events --field-selector ${shellQuote(`involvedObject.name=${ds.name},reason=FailedCreate`)})`}; the controller then creates the missing pods by itself (kubectl -n ${shellQuote(ds.namespace)} rollout status ${shellQuote(`ds/${ds.name}`)}). The ClusterRole fix is in place`,
		};
	},
	daemonSetDeleted: (ds: {namespace: string; name: string}) => ({
		message: `DaemonSet ${dsName(ds)} was deleted during the rollout`,
		hint: 'someone removed Multus; reinstall it, then run kubectl multus doctor again',
	}),

	noNewPods: 'no new pods to read',
	notRestarted: 'not restarted: old pods keep their old log lines',
	notVerified: (denied: Array<{verb: string; group: string; resource: string}>) =>
		`Patched, but verification failed: the access review still denies ${denied.map(question => `${question.verb} on ${question.group ? `${question.resource}.${question.group}` : question.resource}`).join(' and ')} at cluster scope.`,
	noPodsToProve: 'no Multus pods to read',
	logUnreadable: (reason: string) => `its log cannot be read (${reason})`,
	proofTimedOut: (budgetMs: number, lastSeen: string) => `not proven within ${Math.round(budgetMs / 1000)} s (last seen: ${lastSeen})`,
	fixed: (user: string, proof: Proof) => {
		const synced = proof.pods.map(pod => pod.syncMs).filter((ms): ms is number => ms !== null);
		const daemons = `${proof.pods.length} ${proof.pods.length === 1 ? 'daemon' : 'daemons'}`;
		return `Fixed: ${user} may list and watch what Multus needs, and the ${daemons} read after the restart say so themselves: every informer synced, ready${synced.length ? ` (in ${(Math.max(...synced) / 1000).toFixed(1)} s at most)` : ''}, no forbidden line since they started.`;
	},
	proofFailed: (proof: Proof) => `Patched, but the daemons say it is not fixed: ${proof.reason}.`,
	unproven: (proof: Proof) =>
		`Patched, not proven: ${proof.reason}. The rules are in place; look at the daemons' logs (kubectl logs -n NAMESPACE POD) or run kubectl multus doctor --check again.`,

	/** A dedicated object's name is held by one that is not exactly what the fix creates. */
	dedicatedTaken: (kind: 'ClusterRole' | 'ClusterRoleBinding', name: string) => ({
		message: `${kind} ${name} exists already and is not the one kubectl multus plans to create`,
		hint: `look at it with kubectl get ${kind.toLowerCase()} ${shellQuote(name || 'NAME')} -o yaml, then run the doctor again`,
	}),
	/** A dedicated ClusterRole is there, its ClusterRoleBinding is not: what exists, and how to finish or remove it. */
	bindingNotCreated: (created: CreatedRole) =>
		`${createdRoleWords(created)}, but its ClusterRoleBinding ${created.binding} was not, so the role grants nothing yet; nothing else in the cluster was changed. To finish, run kubectl multus doctor again once the binding can be created (it keeps the role and creates the binding); to remove the role: kubectl delete clusterrole ${shellQuote(created.role)} (kubectl multus undo deletes a dedicated role only with its binding).`,
	/** The create of the dedicated ClusterRoleBinding got no answer, after its ClusterRole was created. */
	bindingInDoubt: (created: CreatedRole) =>
		`${createdRoleWords(created)}; its ClusterRoleBinding ${created.binding} may or may not have been created (the request got no answer): kubectl get clusterrolebinding ${shellQuote(created.binding)} shows it. Nothing else in the cluster was changed. Run kubectl multus doctor again once the cluster answers (it keeps what is there and creates what is missing); to remove them instead: with the binding there, kubectl multus undo deletes both, without it kubectl delete clusterrole ${shellQuote(created.role)}.`,
	/** The create of the dedicated ClusterRole itself got no answer: nothing else was written. */
	roleInDoubt: (role: string, binding: string) =>
		`ClusterRole ${role} may or may not have been created (the request got no answer): kubectl get clusterrole ${shellQuote(role)} shows it. Its ClusterRoleBinding ${binding} was not created, and nothing else in the cluster was changed. Run kubectl multus doctor again once the cluster answers (it keeps the role if it is there and creates the binding); to remove the role instead: kubectl delete clusterrole ${shellQuote(role)}.`,

	/** The proof's reason when Ctrl-C or a signal stopped it: by what, and how far it got. */
	proofStoppedReason: (proof: Proof) =>
		`${stoppedBy(proof.stoppedBy)} after ${(proof.waitedMs / 1000).toFixed(1)} s, with ${proof.pods.filter(pod => pod.state === 'proven').length} of ${proof.pods.length} ${proof.mode === 'new' ? 'new' : 'running'} ${proof.pods.length === 1 ? 'daemon' : 'daemons'} proven`,
	/** Ctrl-C (or a signal) while Verify waited for the daemons: the fix is applied (exit 7), how far the proof got, how to prove it later. */
	proofStopped: (proof: Proof, fix: {role: string; patch: PatchResult | undefined; restarted: MultusDaemonSet | undefined}) => {
		const applied = fix.patch?.createdBinding
			? fix.patch.keptRole
				? `ClusterRoleBinding ${fix.patch.createdBinding} was created (ClusterRole ${fix.role} was there from an earlier run)`
				: fix.patch.keptBinding
					? `ClusterRole ${fix.role} was created (ClusterRoleBinding ${fix.patch.createdBinding} was there from an earlier run)`
					: `ClusterRole ${fix.role} and ClusterRoleBinding ${fix.patch.createdBinding} were created`
			: fix.patch
				? `ClusterRole ${fix.role} was patched`
				: `ClusterRole ${fix.role} already granted the rules`;
		const namespace = fix.restarted?.namespace;
		return `Patched, not proven: the proof was ${say.proofStoppedReason(proof)}. The fix is applied: ${applied}${fix.restarted ? ` and DaemonSet ${dsName(fix.restarted)} was restarted` : ''}. To prove it later, run kubectl multus doctor --check again, or read the daemons' logs (kubectl logs -n ${shellQuote(namespace ?? 'NAMESPACE')} POD).`;
	},

	cancelled: (step: StepId, clusterState: string) => `Cancelled during ${step}. ${clusterState}`,
	failed: (message: string, clusterState: string) => `${message}. ${clusterState}`,
};

/** Names in a sentence, folded past `shown`: "a", "a and b", "a, b and c", "a, b and 3 more". */
export function foldedNames(names: readonly string[], shown = 2): string {
	if (names.length <= 1) return names[0] ?? '';
	if (names.length <= shown + 1) return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
	return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** What the cluster looks like after a stop at the current point, in one sentence. */
export function clusterStateAfterCancel(facts: ClusterFacts): string {
	if (facts.patch && !facts.patch.dryRun) {
		const role = facts.patch.createdBinding ? `${facts.patch.role} (with ClusterRoleBinding ${facts.patch.createdBinding})` : facts.patch.role;
		const ds = facts.found?.daemonSet;
		if (facts.rollout?.finishedAt) return `ClusterRole ${role} was patched and the DaemonSet rolled out; only verification did not finish.`;
		const podless = facts.rollout?.progress.pending.filter(pending => pending.pod === noPod) ?? [];
		// A node whose new pod the controller cannot create stays without Multus; one caught between its old pod and its new one does not.
		const blocked = podless.filter(pending => pending.reason !== say.podNotCreatedYet).map(pending => pending.node);
		const between = podless.filter(pending => pending.reason === say.podNotCreatedYet).map(pending => pending.node);
		if (facts.restart && blocked.length > 0) {
			return `ClusterRole ${role} was patched and the DaemonSet restart was started; ${blocked.join(', ')} ${blocked.length === 1 ? 'has' : 'have'} no Multus pod until the DaemonSet controller can create it.`;
		}
		if (facts.restart) {
			const gap = between.length > 0 ? ` At the stop ${between.join(', ')} ${between.length === 1 ? 'was' : 'were'} between the old pod and the new one, which the controller creates.` : '';
			return `ClusterRole ${role} was patched and the DaemonSet restart was started; the DaemonSet controller finishes the rollout by itself (kubectl -n ${shellQuote(ds?.namespace ?? 'NAMESPACE')} rollout status ${shellQuote(`ds/${ds?.name ?? 'NAME'}`)}).${gap}`;
		}
		return `ClusterRole ${role} was patched (${facts.plan?.patch.missing.map(describeRule).join('; ') ?? 'rules added'}); the DaemonSet was not restarted (its pods recover by themselves, or run kubectl -n ${shellQuote(ds?.namespace ?? 'NAMESPACE')} rollout restart ${shellQuote(`ds/${ds?.name ?? 'NAME'}`)}).`;
	}
	if (facts.createdRole) return say.bindingNotCreated(facts.createdRole);
	return 'Nothing in the cluster was changed.';
}

/** What the cluster may look like when the patch (or else the restart) request got no answer. */
export function writeInDoubt(facts: ClusterFacts, step: StepId): string {
	const role = facts.plan?.role ?? 'the ClusterRole';
	const ds = facts.found?.daemonSet;
	const dedicated = facts.plan?.dedicated;
	if (step === 'patch' && facts.createdRole) return say.bindingInDoubt(facts.createdRole);
	if (step === 'patch' && dedicated) return say.roleInDoubt(role, dedicated.clusterRoleBinding.metadata?.name ?? '');
	if (step === 'patch') {
		return `ClusterRole ${role} may or may not have been patched (the request got no answer): kubectl get clusterrole ${shellQuote(facts.plan?.role ?? 'NAME')} -o yaml shows it (a kubectl-multus.dev/change annotation means it was); run the doctor again once the cluster answers.`;
	}
	return `ClusterRole ${role} was patched; the restart of DaemonSet ${ds ? dsName(ds) : 'the DaemonSet'} may or may not have been applied (the request got no answer): kubectl -n ${shellQuote(ds?.namespace ?? 'NAMESPACE')} rollout status ${shellQuote(`ds/${ds?.name ?? 'NAME'}`)} shows it.`;
}

export function connectLines(state: DoctorState): Line[] {
	const c = state.connection;
	if (!c) return [];
	return [
		line('context ', s(c.context, 'bold'), `  cluster ${c.cluster} (${c.server}, ${c.serverVersion})`),
		line(`user ${c.user}${c.impersonating ? ` as ${c.impersonating}` : ''}`, s(`  from ${c.kubeconfigSource}`, 'dim')),
	];
}

export function findLines(found: Found | undefined): Line[] {
	if (!found) return [];
	const ds = found.daemonSet;
	const lines: Line[] = [
		line('DaemonSet ', s(`${ds.namespace}/${ds.name}`, 'bold'), `  ${ds.mode}`, s(` (${ds.evidence.join(', ')})`, 'dim')),
		line(`image ${ds.image}`, ds.version ? s(`  version ${ds.version}`, 'dim') : ''),
		line(`pods ${found.ready}/${found.desired} ready  ServiceAccount `, s(`${ds.namespace}:${ds.serviceAccount}`, 'bold')),
	];
	if (found.roles.length === 0) lines.push(line(s(`${marks.bad} no ClusterRole is bound to ${found.identity.user}`, 'bad'), codeSegment(finding.noRoleBound.code)));
	// Roles reached only through the built-in groups every ServiceAccount is in: one line, not a list.
	const viaGroupsOnly = (role: Found['roles'][number]) => role.name.startsWith('system:') && role.grants.every(g => g.shared);
	const builtin = found.roles.filter(viaGroupsOnly);
	for (const role of found.roles.filter(role => !viaGroupsOnly(role))) {
		lines.push(
			line(
				'ClusterRole ',
				s(role.name, 'bold'),
				s(` via ${role.grants.map(g => `ClusterRoleBinding ${g.binding} (${g.via})`).join(', ')}`, 'dim'),
				role.owner ? s(`  managed by ${role.owner.name}`, 'warn') : '',
			),
		);
	}
	if (builtin.length) lines.push(line(s(`+ ${builtin.length} built-in role(s) every ${ds.perNodeCertificates ? 'authenticated user' : 'ServiceAccount'} gets through its groups (${builtin.map(r => r.name.replace(/^system:/, '')).join(', ')})`, 'dim')));
	for (const note of found.lookalikeBindings) lines.push(line(s(`${marks.warn} ${note}`, 'warn'), codeSegment(finding.crossNamespaceBinding.code)));
	if (ds.perNodeCertificates) {
		lines.push(line(s(`${marks.warn} per-node certificates: each daemon authenticates as system:multus:<node> in group system:multus, not as its ServiceAccount; checked as ${found.identity.user}`, 'warn'), codeSegment(finding.perNodeIdentity.code)));
	}
	if (startupLinesHidden(found)) {
		lines.push(line(s(`${marks.warn} ${ds.daemonLog.why ?? "the daemon config hides the daemon's own start-up lines"}: a fix can be applied, not proven by the daemons`, 'warn'), codeSegment(finding.startupLinesHidden.code)));
	}
	return lines;
}

/** The daemons run informers, but their config keeps their own start-up lines (what proves a fix) out of the log. */
export function startupLinesHidden(found: Found): boolean {
	return found.daemonSet.daemonLog.startupLines === 'hidden' && found.daemonSet.mode === 'thick' && found.daemonSet.release.release.informers.length > 0;
}

/** RFC 3339 timestamps to the second; other forms (klog headers) as they are. */
function shortTime(timestamp: string | undefined): string {
	return timestamp?.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/, '$1$3') ?? '';
}

export function logLines(logs: LogEvidence, label = 'logs'): Line[] {
	if (logs.state === 'unavailable') {
		return [line(s(`${marks.warn} ${label}: could not read (${logs.errors[0] ?? 'no pods'})`, 'warn'), codeSegment(finding.logsUnreadable.code))];
	}
	if (logs.state === 'clean') {
		return [line(s(`${marks.ok} ${label}: `, 'ok'), `no forbidden lines in ${logs.podsRead} pod(s) (${Math.round(logs.bytesRead / 1024)} KiB read)`)];
	}
	const lines: Line[] = [
		line(
			s(`${marks.bad} ${label}: `, 'bad'),
			s(`${logs.count} forbidden ${logs.verbs.join('/')} line(s)`, 'bold'),
			` in ${logs.nodes.length} of ${logs.podsRead} sampled pod(s)`,
			codeSegment(...(['pods-forbidden', 'nads-forbidden'] as const).map(family => (logs.families[family] > 0 ? forbiddenFamilyFinding[family].code : undefined))),
			logs.firstSeen ? s(`  first ${shortTime(logs.firstSeen)}, last ${shortTime(logs.lastSeen)}`, 'dim') : '',
		),
	];
	if (logs.nodes.length) lines.push(line(s(`    nodes: ${logs.nodes.join(', ')}`, 'dim')));
	for (const example of logs.examples.slice(0, 1)) lines.push(line(s(`    ${example}`, 'dim')));
	for (const other of logs.lookalikes) lines.push(line(s(`    also ${other.count} ${other.kind} line(s): not this bug`, 'dim'), codeSegment(logFinding[other.kind as keyof typeof logFinding]?.code)));
	return lines;
}

/** One access review's line: who may (not) do what, at cluster scope, the finding's code if denied, and the authorizer's reason. */
function accessLine(user: string, question: {group: string; resource: string; verb: string}, answer: AccessAnswer, code?: string): Line {
	const what = question.group ? `${question.resource}.${question.group}` : question.resource;
	return line(
		s(`${answer.allowed ? marks.ok : marks.bad} access review: `, answer.allowed ? 'ok' : 'bad'),
		`${user} ${answer.allowed ? 'can' : 'cannot'} ${question.verb} ${what} at cluster scope`,
		answer.allowed ? '' : codeSegment(code),
		answer.reason ? s(`  (${answer.reason})`, 'dim') : '',
	);
}

/** A declared check's words. The log families have none of their own: the sample's lines above tell them. */
export function checkLines(check: CheckResult, found: Found): Line[] {
	switch (check.kind) {
		case 'access':
			// Only a review that blocks is a finding: the thin plugin needs no pods list/watch, asked for the report.
			return [accessLine(found.identity.user, check.question, check.answer, check.blocks ? check.code : undefined)];
		case 'rules':
			// Each gap's own code: the requirement it leaves unmet.
			if (check.level === 'advisory') return check.gaps.map(gap => line(s(`${marks.warn} advisory: `, 'warn'), `missing ${describeRule(gap.rule)}`, s(' (warned, not patched)', 'dim'), codeSegment(gap.code)));
			return [
				check.missing.length === 0
					? line(s(`${marks.ok} rules: `, 'ok'), `the bound roles grant what the ${found.daemonSet.mode} daemon needs`)
					: line(s(`${marks.bad} rules: `, 'bad'), `missing ${check.missing.map(describeRule).join('; ')}`, codeSegment(...check.gaps.map(gap => gap.code))),
			];
		case 'logs':
			return [];
	}
}

/**
 * The checks' lines in declaration order. A denied review is a line of its own (the verb is the news); the
 * allowed reviews of one resource share a line ("can list and watch ..."), so each check costs the screen little.
 */
export function checksLines(checks: CheckResult[], found: Found): Line[] {
	const lines: Line[] = [];
	const folded = new Set<CheckResult>();
	for (const check of checks) {
		if (folded.has(check)) continue;
		if (check.kind === 'access' && check.status === 'pass') {
			const same = checks.filter((other): other is CheckResult & {kind: 'access'} => other.kind === 'access' && other.status === 'pass' && other.question.group === check.question.group && other.question.resource === check.question.resource);
			for (const other of same) folded.add(other);
			lines.push(accessLine(found.identity.user, {...check.question, verb: same.map(other => other.question.verb).join(' and ')}, check.answer));
			continue;
		}
		lines.push(...checkLines(check, found));
	}
	return lines;
}

export function detectLines(diagnosis: Diagnosis | undefined, found: Found | undefined): Line[] {
	if (!diagnosis || !found) return [];
	return [
		...logLines(diagnosis.logs),
		...checksLines(diagnosis.checks, found),
		line(s(diagnosis.summary, diagnosis.verdict === 'healthy' ? 'ok' : 'bad'), diagnosis.verdict === 'healthy' && diagnosis.logs.count > 0 ? codeSegment(finding.oldForbiddenLines.code) : ''),
	];
}

/** The current rules and the needed ones, every rule with a mark; what will be added is highlighted. */
export interface RuleDiffRow {
	/** `+`: the change adds it. */
	mark: ' ' | '+';
	text: string;
	why?: string;
	/** A needed rule no bound role grants (blocking ones are added; advisory ones only warned about). */
	missing?: boolean;
}

export function ruleDiff(plan: Plan, diagnosis: Diagnosis): {current: RuleDiffRow[]; needed: RuleDiffRow[]; after: RuleDiffRow[]} {
	const current = (plan.dedicated?.sharedRules ?? plan.patch.before).map(rule => ({mark: ' ' as const, text: describeRule(rule)}));
	const needed = diagnosis.rules.requirements.map(req => ({
		// Only what the change adds is marked +: a missing advisory rule is warned about, never patched.
		mark: !req.covered && req.level === 'blocking' ? ('+' as const) : (' ' as const),
		missing: !req.covered,
		text: `${req.covered ? marks.ok : req.level === 'blocking' ? marks.bad : marks.warn} ${describeRule(req.rule)}`,
		why: req.why,
	}));
	const after = plan.patch.after.map((rule, index) => {
		const added = index >= plan.patch.before.length || describeRule(rule) !== describeRule(plan.patch.before[index]!);
		return {mark: added ? ('+' as const) : (' ' as const), text: describeRule(rule)};
	});
	return {current, needed, after};
}

/** The headings of the rule comparison, shared by the plain listing and the side-by-side view. */
export function ruleDiffHeadings(plan: Plan): {current: string; needed: string; change: string} {
	if (plan.dedicated) {
		const {existing} = plan.dedicated;
		const change = existing.role
			? 'Change (the ClusterRoleBinding for the Multus identity alone; its ClusterRole is there from an earlier run, and nothing existing is touched):'
			: existing.binding
				? 'Change (the ClusterRole for the Multus identity alone; its ClusterRoleBinding is there from an earlier run, and nothing existing is touched):'
				: 'Change (a new ClusterRole and ClusterRoleBinding for the Multus identity alone; nothing existing is touched):';
		return {current: `ClusterRole ${plan.dedicated.sharedRole} now (bound to others too; left as it is):`, needed: 'Multus needs:', change};
	}
	return {current: `ClusterRole ${plan.role} now:`, needed: 'Multus needs:', change: 'Change (only additions; nothing removed or widened):'};
}

/** One row of "Multus needs": missing blocking rules are bad, missing advisory ones a warning. */
export function neededRowStyle(row: RuleDiffRow): Style {
	return row.missing ? (row.text.startsWith(marks.bad) ? 'bad' : 'warn') : 'plain';
}

/** The rules the change adds, where they go, and every subject who gains anything by it. */
export function planChangeLines(plan: Plan): Line[] {
	const lines: Line[] = [line(s(ruleDiffHeadings(plan).change, 'bold'))];
	if (plan.dedicated) {
		for (const other of plan.dedicated.othersBound) lines.push(line(s(`  ${marks.warn} ClusterRole ${plan.dedicated.sharedRole} is also bound to ${other}: not patched, so they gain nothing`, 'warn'), codeSegment(finding.sharedRoleDedicated.code)));
		// What an earlier run left is listed as there (kept), not as added.
		const {existing} = plan.dedicated;
		const kept = ' (exists from an earlier run, exactly as the fix would create it; kept)';
		const rules = plan.patch.missing.map(describeRule).join('; ');
		lines.push(existing.role ? line(s(`  ${marks.ok} ClusterRole ${plan.role}${kept}: ${rules}`, 'dim')) : line(s(`  ${marks.add} ClusterRole ${plan.role}: `, 'add'), s(rules, 'add')));
		const subjects = (plan.dedicated.clusterRoleBinding.subjects ?? []).map(subject => describeSubject(subject)).join(', ');
		const binding = `ClusterRoleBinding ${plan.dedicated.clusterRoleBinding.metadata?.name ?? ''}`;
		lines.push(existing.binding ? line(s(`  ${marks.ok} ${binding}${kept}: ClusterRole ${plan.role} to ${subjects}`, 'dim')) : line(s(`  ${marks.add} ${binding}: ClusterRole ${plan.role} to ${subjects}`, 'add')));
	} else {
		lines.push(...plan.patch.missing.map(rule => line(s(`  ${marks.add} ${describeRule(rule)}`, 'add'))));
	}
	for (const grantee of plan.gains) lines.push(line(s('  granted to: ', 'dim'), grantee));
	return lines;
}

/** The exact request: the JSON patch and the same fix as a file for kubectl auth reconcile. */
export function planPatchLines(plan: Plan): Line[] {
	if (plan.dedicated) {
		const kept = keptByPlanWords(plan);
		const heading = kept
			? `Both, as with kubectl create -f - (${kept}: only the ${plan.dedicated.existing.role ? 'ClusterRoleBinding' : 'ClusterRole, with the kubectl-multus.dev/change annotation for undo,'} is created):`
			: 'Created as with kubectl create -f - (plus the kubectl-multus.dev/change annotation, for undo):';
		const lines: Line[] = [line(s(heading, 'dim'))];
		for (const yamlLine of plan.reconcileYaml.trimEnd().split('\n')) lines.push(line(s(`    ${yamlLine}`, 'dim')));
		return lines;
	}
	const lines: Line[] = [line(s('JSON patch:', 'dim'))];
	for (const op of plan.operations.filter(op => !op.path.startsWith('/metadata/annotations'))) {
		lines.push(line(s(`    ${JSON.stringify(op)}`, 'dim')));
	}
	lines.push(line(s('    + annotations kubectl-multus.dev/previous-rules and kubectl-multus.dev/change (for undo)', 'dim')));
	lines.push(line(s('Same fix for kubectl auth reconcile -f - :', 'dim')));
	for (const yamlLine of plan.reconcileYaml.trimEnd().split('\n')) lines.push(line(s(`    ${yamlLine}`, 'dim')));
	return lines;
}

/** Whether the plan may be applied here: who manages the role, the caller's permissions, the server's dry run. */
export function planCheckLines(plan: Plan): Line[] {
	const lines: Line[] = [];
	if (plan.aggregate) {
		lines.push(line(s(`${marks.warn} ClusterRole ${plan.aggregate.role} is aggregated from ${plan.aggregate.sources.join(', ')}: patching source ${plan.aggregate.source} (${plan.aggregate.why}); the aggregation controller copies the rule into ${plan.aggregate.role}`, 'warn'), codeSegment(finding.aggregatedRole.code)));
	}
	if (plan.owner) lines.push(line(s(`${marks.warn} managed by ${plan.owner.name}: a manual patch would be reverted. Fix at the source: ${plan.owner.fix}`, 'warn'), codeSegment(finding.roleManaged.code)));
	if (plan.autoupdateDisabled) lines.push(line(s(`${marks.warn} rbac.authorization.kubernetes.io/autoupdate: "false": the doctor will not write this role`, 'warn'), codeSegment(finding.roleOptedOut.code)));
	for (const permission of plan.permissions) {
		const style = permission.allowed ? 'dim' : permission.optional ? 'warn' : 'bad';
		const mark = permission.allowed ? marks.ok : permission.optional ? marks.warn : marks.bad;
		lines.push(
			line(
				s(`${mark} you ${permission.allowed ? 'can' : 'cannot'} ${permission.description}`, style),
				permission.allowed ? '' : s(`  (grant: ${permission.grant}${permission.optional ? '; the fix still works without it' : ''})`, 'dim'),
				permission.allowed ? '' : codeSegment((permission.optional ? finding.callerCannotReadLogs : finding.callerLacksPermission).code),
			),
		);
	}
	const existing = plan.dedicated?.existing;
	const written = !plan.dedicated ? 'the patch' : existing?.role ? 'the ClusterRoleBinding' : existing?.binding ? 'the ClusterRole' : 'the ClusterRole and ClusterRoleBinding';
	if (plan.serverDryRun === 'passed') lines.push(line(s(`${marks.ok} server-side dry run accepted ${written}`, 'dim')));
	return lines;
}

export function planLines(plan: Plan | undefined, diagnosis: Diagnosis | undefined): Line[] {
	if (!plan || !diagnosis) return [];
	const diff = ruleDiff(plan, diagnosis);
	const headings = ruleDiffHeadings(plan);
	const lines: Line[] = [line(s(headings.current, 'bold'))];
	for (const row of diff.current) lines.push(line(`    ${row.text}`));
	lines.push(line(s(headings.needed, 'bold')));
	for (const row of diff.needed) lines.push(line(s(`    ${row.text}`, neededRowStyle(row)), s(`  ${row.why ?? ''}`, 'dim')));
	return [...lines, ...planChangeLines(plan), ...planPatchLines(plan), ...planCheckLines(plan)];
}

/** What answering yes does, before it is done: the question, then each change in order. */
export function confirmLines(plan: Plan, found: Found | undefined, restart: boolean): {question: Line; effects: Line[]} {
	const ds = found ? `${found.daemonSet.namespace}/${found.daemonSet.name}` : 'the Multus DaemonSet';
	const added = s(plan.patch.missing.map(rule => `${marks.add} ${describeRule(rule)}`).join('; '), 'add');
	const subjects = (plan.dedicated?.clusterRoleBinding.subjects ?? []).map(subject => describeSubject(subject)).join(', ');
	const existing = plan.dedicated?.existing;
	const effects: Line[] = [
		!plan.dedicated
			? line(s('1. ', 'dim'), 'patch ClusterRole ', s(plan.role, 'bold'), ': ', added)
			: existing?.role
				? line(s('1. ', 'dim'), 'keep ClusterRole ', s(plan.role, 'bold'), s(` (there from an earlier run: ${plan.patch.missing.map(describeRule).join('; ')})`, 'dim'), ' and create its ClusterRoleBinding to ', s(subjects, 'bold'), ' alone')
				: existing?.binding
					? line(s('1. ', 'dim'), 'create ClusterRole ', s(plan.role, 'bold'), ': ', added, ', and keep its ClusterRoleBinding to ', s(subjects, 'bold'), s(' (there from an earlier run)', 'dim'))
					: line(s('1. ', 'dim'), 'create ClusterRole ', s(plan.role, 'bold'), ': ', added, ', and its ClusterRoleBinding to ', s(subjects, 'bold'), ' alone'),
		restart
			? line(s('2. ', 'dim'), 'restart DaemonSet ', s(ds, 'bold'), s(' (rolling, as kubectl rollout restart), watch the rollout, then verify', 'dim'))
			: line(s('2. ', 'dim'), `no restart (--no-restart): DaemonSet ${ds} keeps its pods; then verify`),
	];
	const kept = keptByPlanWords(plan);
	const question = !plan.dedicated
		? `Apply this change to ClusterRole ${plan.role}?`
		: kept
			? `${kept}: create only its ${existing?.role ? `ClusterRoleBinding to ${subjects}` : 'ClusterRole'}?`
			: `Create ClusterRole ${plan.role} and its binding to ${subjects}?`;
	return {question: line(s(question, 'bold'), ' [y/N]'), effects};
}

export function confirmAnswerLine(yes: boolean, viaFlag: boolean): Line {
	return line(s(yes ? (viaFlag ? 'yes (--yes)' : 'yes') : 'no', yes ? 'ok' : 'warn'));
}

export function patchedLine(patch: PatchResult): Line {
	if (patch.createdBinding && patch.keptRole) return line(s(`${marks.ok} created ClusterRoleBinding ${patch.createdBinding} (ClusterRole ${patch.role} was there from an earlier run, kept)`, 'ok'));
	if (patch.createdBinding && patch.keptBinding) return line(s(`${marks.ok} created ClusterRole ${patch.role} (ClusterRoleBinding ${patch.createdBinding} was there from an earlier run, kept)`, 'ok'));
	if (patch.createdBinding) return line(s(`${marks.ok} created ClusterRole ${patch.role} and ClusterRoleBinding ${patch.createdBinding}`, 'ok'));
	return line(s(`${marks.ok} patched ClusterRole ${patch.role} (resourceVersion ${patch.resourceVersion})`, 'ok'));
}

export function restartedLine(restart: RestartResult): Line {
	return line(s(`${marks.ok} restart requested at ${restart.restartedAt} (generation ${restart.generation})`, 'ok'));
}

export function failureLine(failure: FailureInfo): Line {
	return line(s(`${marks.bad} ${failure.message}`, 'bad'), codeSegment(failure.code));
}

/** The title line of the terminal UI: where we are, and what mode changes nothing. */
export function headerLine(state: DoctorState, mode: {context: string | undefined; check: boolean; dryRun: string}): Line {
	const context = state.connection?.context ?? mode.context;
	return line(
		s('kubectl multus doctor', 'bold'),
		context ? s(`  context ${context}`, 'accent') : s('  current context', 'dim'),
		mode.check ? s('  --check: diagnose only', 'warn') : '',
		mode.dryRun !== 'none' ? s(`  --dry-run=${mode.dryRun}: changes nothing`, 'warn') : '',
	);
}

/** Quit without waiting for the cancelled step (second Ctrl-C): what the cluster was left like. */
export function quitLine(clusterState: string): Line {
	return line(s(`${marks.bad} quit without waiting. `, 'bad'), clusterState);
}

/** The outcome, with a mark so that it reads the same without colour, and its finding's code. */
export function outcomeLine(outcome: {exitCode: number; message: string; code?: string | undefined}): Line {
	return line(s(`${outcome.exitCode === 0 ? marks.ok : marks.bad} ${outcome.message}`, outcome.exitCode === 0 ? 'ok' : 'bad'), codeSegment(outcome.code));
}

/** What stopped the run, as in "the proof was stopped by …": the user's Ctrl-C, or the signal by its name. */
export function stoppedBy(cause: StopCause | undefined): string {
	if (cause === undefined) return 'stopped';
	return isCtrlC(cause) ? 'stopped by the user (Ctrl-C)' : `stopped by ${cause.signal}`;
}

/**
 * Without a terminal view, after the first stop signal (stderr): what stops now (`stopping`, the doctor's step or
 * the fleet's clusters), and that a second signal quits at once.
 */
export function cancellingNote(cause: StopCause, stopping = 'stopping at the next safe point'): string {
	return isCtrlC(cause) ? `cancelling: ${stopping} (Ctrl-C again to quit now)` : `cancelling (${cause.signal}): ${stopping} (a second signal quits now)`;
}

/**
 * In the terminal view, after a Ctrl-C (or a stop signal, named): the running step stops at its next safe point;
 * a second Ctrl-C soon after, or a second signal, quits at once.
 */
export function cancellingLine(quitArmed: boolean, cause?: StopCause): Line {
	const keys = quitArmed ? 'Ctrl-C again' : 'Ctrl-C twice';
	return line(s(cause && !isCtrlC(cause) ? `cancelling (${cause.signal}): stopping at the next safe point (a second signal or ${keys} to quit now)` : `cancelling: stopping at the next safe point (${keys} to quit now)`, 'warn'));
}

/** A finished step folded to one line, for the step list. Undefined when the step has nothing to say. */
export function stepSummaryLine(state: DoctorState, step: StepId, viaFlag = false): Line | undefined {
	switch (step) {
		case 'connect': {
			const c = state.connection;
			return c ? line(s(c.context, 'bold'), s(`  ${c.server}, ${c.serverVersion}, user ${c.impersonating ?? c.user}`, 'dim')) : undefined;
		}
		case 'find': {
			const found = state.found;
			if (!found) return undefined;
			const ds = found.daemonSet;
			return line(s(`${ds.namespace}/${ds.name}`, 'bold'), ` ${ds.mode}`, s(`  ${found.ready}/${found.desired} ready, ServiceAccount ${ds.namespace}:${ds.serviceAccount}`, 'dim'));
		}
		case 'detect':
			return state.diagnosis ? line(s(state.diagnosis.summary, state.diagnosis.verdict === 'healthy' ? 'ok' : 'bad')) : undefined;
		case 'plan':
			return state.plan && !state.plan.patch.empty
				? line(s(`${marks.add} ${state.plan.patch.missing.map(describeRule).join('; ')}`, 'add'), s(` on ClusterRole ${state.plan.role}`, 'dim'))
				: undefined;
		case 'confirm':
			return state.confirm.state === 'answered' && state.confirm.answer !== undefined ? confirmAnswerLine(state.confirm.answer, viaFlag) : undefined;
		case 'patch':
			return state.patch ? patchedLine(state.patch) : undefined;
		case 'restart':
			return state.restart ? restartedLine(state.restart) : undefined;
		case 'rollout':
			return state.rollout ? rolloutHeadline(state.rollout) : undefined;
		case 'verify':
			return state.verification ? verifyLines(state.verification, state.found).at(-1) : undefined;
	}
}

/** A note the flow made (a write read back, a step skipped and why), with its finding's code when it is one. */
export function noteLine(note: string, code?: string): Line {
	return line(s(note, 'warn'), codeSegment(code));
}

/** The code of a note that is a finding. */
export function noteCode(state: Pick<DoctorState, 'notedFindings'>, note: string): string | undefined {
	return state.notedFindings.find(noted => noted.note === note)?.code;
}

export function rolloutHeadline(rollout: RolloutView): Line {
	const p = rollout.progress;
	const elapsed = formatDuration((rollout.finishedAt ?? Date.now()) - rollout.startedAt);
	return line(
		s(`${p.updated}/${p.desired} updated  ${p.ready}/${p.desired} ready  ${p.available}/${p.desired} available`, 'bold'),
		s(`  ${elapsed}${rollout.reconnects ? `  (watch resumed ${rollout.reconnects}×)` : ''}`, 'dim'),
	);
}

export const rolloutGlyphs = {done: '█', new: '▒', old: '░'} as const;

/** The widest bar drawn for a large cluster: wider says nothing more, and every glyph costs a terminal frame. */
export const rolloutBarMaxColumns = 60;

/** What the glyphs mean; a bar (large clusters) says how many nodes one glyph stands for. */
export function rolloutLegend(progress: RolloutProgress, width: number): Line {
	const scale = progress.byNode ? '' : `  (one glyph ≈ ${Math.max(1, Math.round(progress.desired / barColumns(progress, width)))} nodes)`;
	return line(s(`${rolloutGlyphs.done} updated and ready  ${rolloutGlyphs.new} new, not ready  ${rolloutGlyphs.old} old${scale}`, 'dim'));
}

function barColumns(progress: RolloutProgress, width: number): number {
	return Math.max(1, Math.min(rolloutBarMaxColumns, width, progress.desired));
}

/**
 * Small clusters: a grid of nodes, one glyph each in node order, wrapped to `width` (█ done, ▒ new not ready,
 * ░ old). Large clusters: one bar of at most 60 glyphs in proportion to the counts; a count above zero always
 * shows at least one glyph.
 */
export function rolloutGrid(rollout: RolloutView, width: number, maxRows = 4): string[] {
	const p = rollout.progress;
	if (!p.byNode) {
		const cols = barColumns(p, width);
		const total = Math.max(1, p.counts.done + p.counts.new + p.counts.old);
		const share = (count: number) => (count > 0 ? Math.max(1, Math.round((count / total) * cols)) : 0);
		const fresh = share(p.counts.new);
		const old = Math.min(cols - fresh, share(p.counts.old));
		const done = p.counts.done > 0 ? cols - fresh - old : 0;
		return [rolloutGlyphs.done.repeat(done) + rolloutGlyphs.new.repeat(fresh) + rolloutGlyphs.old.repeat(cols - done - fresh)];
	}
	const cells = p.cells.map(cell => rolloutGlyphs[cell]).join('');
	const cols = Math.max(10, width);
	const rows: string[] = [];
	for (let i = 0; i < cells.length && rows.length < maxRows; i += cols) rows.push(cells.slice(i, i + cols));
	if (cells.length > cols * maxRows) rows[maxRows - 1] = `${rows[maxRows - 1]!.slice(0, cols - 1)}…`;
	return rows;
}

export function rolloutStatusLine(rollout: RolloutView): Line {
	return line(s(rollout.status.message, rollout.status.done ? 'ok' : 'plain'));
}

/** The nodes the rollout still waits on, with kubectl's reasons; at most five, then a count. */
export function rolloutPendingLines(rollout: RolloutView): Line[] {
	const p = rollout.progress;
	if (rollout.status.done || p.pendingTotal === 0) return [];
	const lines: Line[] = [line(s(`waiting on ${p.pendingTotal} node(s):`, 'dim'))];
	for (const pending of p.pending.slice(0, 5)) lines.push(line(s(`    ${pending.node}  ${pending.pod ?? ''}  ${pending.reason}`, 'dim')));
	if (p.pendingTotal > 5) lines.push(line(s(`    … and ${p.pendingTotal - 5} more`, 'dim')));
	return lines;
}

export function rolloutLines(rollout: RolloutView | undefined): Line[] {
	if (!rollout) return [];
	return [rolloutHeadline(rollout), rolloutStatusLine(rollout), ...rolloutPendingLines(rollout)];
}

/** One line per node for small clusters: its glyph, its name, and why it is not done yet. */
export function rolloutNodeLines(rollout: RolloutView): Line[] {
	const p = rollout.progress;
	const reasons = new Map(p.pending.map(pending => [pending.node, pending]));
	return p.cells.map((cell, index) => {
		const node = p.nodes[index] ?? `node ${index + 1}`;
		const pending = reasons.get(node);
		const why = cell === 'done' ? 'updated and ready' : pending ? `${pending.pod ?? ''}  ${pending.reason}`.trim() : cell === 'new' ? 'new, not ready' : 'old pod, not yet replaced';
		return line(s(`${rolloutGlyphs[cell]} `, cell === 'done' ? 'ok' : cell === 'new' ? 'warn' : 'dim'), node, s(`  ${why}`, 'dim'));
	});
}

export function verifyLines(verification: Verification | undefined, found: Found | undefined, progress?: Proof): Line[] {
	if (!found) return [];
	if (!verification) return progress ? proofLines(progress) : [];
	const {proof} = verification;
	return [
		...checksLines(verification.checks, found),
		...proofLines(proof),
		line(
			verification.passed
				? s(`${marks.ok} proven by the daemons themselves`, 'ok')
				: proof.state === 'failing' || deniedAccess(verification.checks).length > 0
					? s(`${marks.bad} not fixed`, 'bad')
					: s(`${marks.warn} patched, not proven`, 'warn'),
		),
	];
}

const proofMarks = {proven: marks.ok, failing: marks.bad, pending: '…', unproven: marks.warn} as const;
const proofStyles = {proven: 'ok', failing: 'bad', pending: 'dim', unproven: 'warn'} as const;

/** One line per sampled daemon: what its own log showed. */
export function proofLines(proof: Proof): Line[] {
	const head = proof.mode === 'new' ? "new daemons' own words" : "running daemons' own words";
	const done = proof.pods.filter(pod => pod.state !== 'pending').length;
	const proven = proof.pods.filter(pod => pod.state === 'proven');
	const synced = proven.map(pod => pod.syncMs).filter((ms): ms is number => ms !== null);
	const slowest = synced.length > 0 ? Math.max(...synced) : undefined;
	return [
		line(s(`${proofMarks[proof.state]} ${head}: `, proofStyles[proof.state]), `${proof.pods.filter(pod => pod.state === 'proven').length} of ${proof.pods.length} proven`, s(`  ${proof.stopped ? `${proof.stoppedBy && isCtrlC(proof.stoppedBy) ? 'stopped by Ctrl-C' : stoppedBy(proof.stoppedBy)} at ` : done < proof.pods.length ? 'waiting ' : ''}${(proof.waitedMs / 1000).toFixed(1)} s`, 'dim')),
		// Proven daemons share one line; each other one says what its log showed.
		...(proven.length > 0 ? [line(s(`    ${marks.ok} `, 'ok'), s(`${proven.map(pod => pod.node || pod.pod).join(', ')}: synced, ready${slowest === undefined ? '' : ` in ${(slowest / 1000).toFixed(1)} s`}, nothing denied`, 'dim'))] : []),
		...proof.pods
			.filter(pod => pod.state !== 'proven')
			.map(pod => line(s(`    ${proofMarks[pod.state]} `, proofStyles[pod.state]), pod.pod, s(` on ${pod.node || '?'}: ${pod.reason}`, 'dim'))),
	];
}

/** The connection and selection flags of a run (its DoctorOptions, or part of them): what its undo must be given too. */
export interface UndoTarget {
	connection: Partial<Pick<ConnectionOptions, 'kubeconfig' | 'context' | 'cluster' | 'user' | 'as' | 'asGroup' | 'asUid' | 'namespace'>>;
	daemonSet?: string | undefined;
}

/**
 * How to revert a patch the doctor applied: `kubectl multus undo` with every connection and selection flag the run
 * was given, each value shell-quoted, so that, pasted as printed, it reaches the same cluster, as the same user.
 */
export function undoHint(role: string, target?: UndoTarget, createdBinding?: string): string {
	const what = createdBinding ? `deletes ClusterRole ${role} and ClusterRoleBinding ${createdBinding}, which it created` : `removes what it added to ClusterRole ${role}`;
	return `${undoCommand(target)}   (${what}, recorded in its kubectl-multus.dev/change annotation)`;
}

/** `kubectl multus undo` with the connection and selection flags of `target`, each value shell-quoted. */
export function undoCommand(target?: UndoTarget): string {
	const given = target?.connection ?? {};
	const flags: Array<[string, string | undefined]> = [
		['--kubeconfig', given.kubeconfig],
		['--context', given.context],
		['--cluster', given.cluster],
		['--user', given.user],
		['--as', given.as],
		['--as-group', given.asGroup],
		['--as-uid', given.asUid],
		['-n', given.namespace],
		['--daemonset', target?.daemonSet],
	];
	const words = flags.filter(([, value]) => value !== undefined).map(([flag, value]) => ` ${flag} ${shellQuote(value!)}`).join('');
	return `kubectl multus undo${words}`;
}

export function summaryLines(state: DoctorState): Line[] {
	const lines: Line[] = [];
	if (state.patch && !state.patch.dryRun) {
		lines.push(line(s('Changed:', 'bold')));
		const roleNote = state.patch.keptRole ? ' (there from an earlier run)' : state.patch.createdBinding ? ' (new)' : '';
		for (const rule of state.plan?.patch.missing ?? []) lines.push(line(s(`  ${marks.add} ClusterRole ${state.patch.role}${roleNote}: ${describeRule(rule)}`, 'add')));
		if (state.patch.createdBinding) lines.push(line(s(`  ${marks.add} ClusterRoleBinding ${state.patch.createdBinding} ${state.patch.keptBinding ? '(there from an earlier run)' : '(new)'}: ${state.plan?.dedicated?.clusterRoleBinding.subjects?.map(subject => describeSubject(subject)).join(', ') ?? ''}`, 'add')));
		if (state.restart) lines.push(line(`  restarted DaemonSet ${state.found?.daemonSet.namespace}/${state.found?.daemonSet.name} at ${state.restart.restartedAt}`));
		lines.push(line(s(`Undo: ${state.verification?.undo ?? state.patch.undo ?? undoHint(state.patch.role, undefined, state.patch.createdBinding)}`, 'dim')));
	}
	if (!state.patch && state.createdRole) {
		// The dedicated role was created, its binding was not: it is there all the same.
		lines.push(line(s('Changed:', 'bold')));
		lines.push(line(s(`  ${marks.add} ClusterRole ${state.createdRole.role}${state.createdRole.existed ? '' : ' (new)'}: ${state.createdRole.rules.map(describeRule).join('; ')}`, 'add')));
		lines.push(line(s(`  ${marks.bad} ClusterRoleBinding ${state.createdRole.binding}: not created`, 'bad')));
	}
	for (const note of state.notes) lines.push(noteLine(note, noteCode(state, note)));
	if (state.failure?.hint) lines.push(line(s(`fix: ${state.failure.hint}`, 'warn')));
	return lines;
}

/** summaryLines without what the outcome message already says (a cancel's cluster state, a failure's fix). */
export function summaryLinesBesides(state: DoctorState, outcome: {message: string}): Line[] {
	const failure = state.failure?.hint && outcome.message.includes(state.failure.hint) ? {...state.failure, hint: undefined} : state.failure;
	return summaryLines({...state, notes: state.notes.filter(note => !outcome.message.includes(note)), failure});
}

// The interactive screen in a short terminal (source/ui/layout.ts decides what goes where; these say so).

/**
 * Under the question when the plan was printed above it (a terminal too short for both): where it went; and when
 * what a yes does went there too, the change itself, so the question still says what it applies.
 */
export function planAboveLine(state: Pick<DoctorState, 'plan'>, effectsAbove: boolean): Line {
	const plan = state.plan;
	if (!effectsAbove || !plan || plan.patch.empty) return line(s('↑ The rules now and needed, the change and the checks are printed above (too long for this terminal).', 'dim'));
	return line(s('↑ The plan and what a yes does are printed above. ', 'dim'), s(`${marks.add} ${plan.patch.missing.map(describeRule).join('; ')}`, 'add'), s(` on ClusterRole ${plan.role}`, 'dim'));
}

/** The steps still to come, on one line when the terminal is too short for one line each. */
export function pendingStepsLine(steps: readonly StepId[]): Line {
	return line(s(`${marks.pending} still to come: ${steps.map(step => stepTitles[step]).join(', ')}`, 'dim'));
}

/** Above the last lines of a step still running, when the terminal is too short for all of them. */
export function foldedLinesLine(count: number, printedWhenDone: boolean): Line {
	return line(s(`… ${count} earlier line${count === 1 ? '' : 's'} not shown in this short terminal (${printedWhenDone ? 'printed in full once the step ends' : 'all of them: --output yaml'})`, 'dim'));
}

/** Above the list of what a yes does, when it is printed above the question (the shortest terminals). */
export const effectsAboveHeading: Line = line(s('If you answer yes, in order:', 'bold'));

import type {V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import {MultusError} from '../../errors.js';
import {ExitCode} from '../../exit-codes.js';
import {restartedAtAnnotation, type KubeApi} from '../../kube/client.js';
import {endSnapshot} from '../../kube/snapshot.js';
import {managedBy, optedOutOfAutoupdate} from '../../multus/discovery.js';
import {aggregationSources, missingRules, planRolePatch, rulesCover, type RolePatchPlan} from '../../multus/rbac.js';
import {chooseFixTarget, describeGrantee, type FixTarget} from '../../multus/subjects.js';
import {sameDedicatedRole} from '../../multus/revert.js';
import {blockingRules, requiredRules} from '../../multus/requirements.js';
import {finding} from '../../multus/findings.js';
import type {DoctorOptions} from '../../options.js';
import type {ChangedThrough, Found, PermissionCheck, Plan} from '../model.js';
import {say} from '../present.js';
import {annotationBytesWithRecord, annotationsLimitBytes, changeAnnotation, changeRecord, reconcileYaml, recordForPatch, recordOperations, roleManifest} from '../record.js';
import {dedicatedTaken} from './patch.js';
import {Cancelled, clientOf, done, maxConflictAttempts, need, outcome, type Step, type StepEnd} from './step.js';

/** Current vs needed: which role to patch, the minimal patch, and whether the caller may apply it. */
export const planStep: Step = {
	id: 'plan',
	async run(context) {
		const found = need(context.facts.found, 'Multus DaemonSet');
		if (!context.options.check && context.options.dryRun === 'none') {
			// In a fleet that reaches this Multus through another context too, one of them changes it.
			const changed = await context.changeTurn(found);
			// Another context may have written while this one waited: what follows reads the cluster again.
			if (changed) endSnapshot(clientOf(context));
			if (changed && (await seenHere(clientOf(context), found, changed))) return throughOutcome(changed, found);
			if (changed) context.emit({type: 'note', note: say.sameMultusNotSeen(changed.through, found.daemonSet)});
			// Ctrl-C while it waited for its turn: nothing more is read.
			if (context.signal.aborted) throw new Cancelled();
		}
		let plan: Plan;
		try {
			plan = await makePlan(clientOf(context), found, context.options);
		} catch (error) {
			// The role changed between its read and the server-side dry run of the patch: read it again and plan again.
			if (!(error instanceof RoleChangedWhilePlanning)) throw error;
			if (context.facts.attempt >= maxConflictAttempts) throw error.conflict;
			context.facts.attempt++;
			return {type: 'again', step: 'plan', note: say.conflictWhilePlanning(error.role), code: finding.roleChangedMeanwhile.code};
		}
		context.facts.plan = plan;
		context.emit({type: 'planned', plan});
		if (plan.patch.empty && context.options.check) return outcome('problem', ExitCode.ProblemFound, say.checkAlreadyGranted(plan.role), finding.grantedButDenied.code);
		if (plan.patch.empty) context.emit({type: 'note', note: say.nothingToPatch(plan.role), code: finding.grantedButDenied.code});
		return done;
	},
};

/** The role changed between its read and the dry run of its patch (a Conflict): the plan is made again. */
class RoleChangedWhilePlanning extends Error {
	constructor(
		readonly role: string,
		readonly conflict: MultusError,
	) {
		super(conflict.message);
	}
}

/**
 * Whether the other run's change is there through this run's own connection: the same DaemonSet (uid) carrying its
 * restart, and the rules it left on its role. A run that wrote nothing claims no change: nothing to see.
 */
async function seenHere(client: KubeApi, found: Found, {wrote}: ChangedThrough): Promise<boolean> {
	const ds = found.daemonSet;
	if (wrote.restartedAt !== undefined) {
		const now = await client.readDaemonSet(ds.namespace, ds.name);
		if (now.metadata?.uid !== ds.uid || now.spec?.template.metadata?.annotations?.[restartedAtAnnotation] !== wrote.restartedAt) return false;
	}
	if (wrote.role !== undefined) {
		const role = await client.readClusterRole(wrote.role).catch(() => undefined);
		if (!role || !(wrote.rulesAfter ?? []).every(rule => rulesCover(role.rules ?? [], rule))) return false;
	}
	return true;
}

/** This run's outcome when another run of the fleet made its change: that run's, saying so. */
function throughOutcome({through, outcome: {verdict, exitCode, message, code}}: ChangedThrough, found: Found): StepEnd {
	return {type: 'outcome', outcome: {verdict, exitCode, message: say.changedThrough(through, found.daemonSet, message), ...(code ? {code} : {}), through}};
}

const invalid = (words: {message: string; hint: string}, code: string) => new MultusError('Invalid', words.message, {hint: words.hint, finding: code});

async function makePlan(client: KubeApi, found: Found, options: DoctorOptions): Promise<Plan> {
	// Only what no bound role grants yet: another role (a NAD role, an aggregate's other source) may hold the rest.
	const needed = missingRules(found.roles.flatMap(bound => bound.rules), blockingRules(found.daemonSet.mode, found.daemonSet.release.release));
	const direct = found.roles.filter(role => role.grants.some(g => !g.shared));
	const missingRole = found.missingRoles?.[0];
	if (direct.length === 0 && missingRole) {
		throw invalid(say.boundRoleMissing(found.daemonSet, found.identity.user, missingRole, requiredRules(found.daemonSet.mode, found.daemonSet.release.release).map(r => r.rule)), finding.boundRoleMissing.code);
	}
	if (found.roles.length === 0) throw invalid(say.noRoleBound(found.daemonSet), finding.noRoleBound.code);
	// Prefer the role that already grants something on pods: it is the one that "means" multus's pod access.
	// Only roles bound to the daemon's identity (its ServiceAccount, or the system:multus group of per-node
	// certificates) are candidates: never a built-in role shared through system:authenticated and the like.
	if (direct.length === 0) throw invalid(say.onlySharedRoles(found.daemonSet, found.identity.user), finding.onlySharedRoles.code);
	const preferred = direct.find(role => rulesOnPods(role.rules)) ?? direct[0]!;
	let role = await client.readClusterRole(preferred.name);
	let aggregate: Plan['aggregate'];
	// Aggregated roles are rebuilt by the controller from their sources: patch a source instead, the one that
	// holds the pods rules (the role that "means" pod access), else the first by name.
	if (role.aggregationRule) {
		const sources = aggregationSources(role, await client.listClusterRoles()).filter(s => !s.aggregationRule);
		const withPods = sources.filter(s => rulesOnPods(s.rules ?? []));
		const source = withPods[0] ?? sources[0];
		if (!source) throw invalid(say.aggregateWithoutSource(preferred.name), finding.aggregateWithoutSource.code);
		const sourceName = source.metadata?.name ?? '';
		const names = sources.map(s => s.metadata?.name ?? '');
		aggregate = {role: preferred.name, source: sourceName, sources: names, why: say.aggregateSourceWhy(withPods.map(s => s.metadata?.name ?? ''))};
		role = source;
	}
	let name = role.metadata?.name ?? preferred.name;
	let patch = planRolePatch(role.rules, needed, role.metadata?.resourceVersion);
	let gains: string[] = [];
	const unseen: PermissionCheck[] = [];
	if (!patch.empty) {
		// Rules added to a role reach every subject bound to it (and to any aggregate that copies it): patch it
		// only when all of them are the Multus identity, else give the identity a role of its own. Without the
		// RoleBindings that cannot be known: the fix then needs that permission, named with the others.
		const [clusterRoles, clusterRoleBindings, listed] = await Promise.all([
			client.listClusterRoles(),
			client.listClusterRoleBindings(),
			client.listRoleBindings().catch((error: unknown) => {
				if (error instanceof MultusError && error.kind === 'Forbidden') return undefined;
				throw error;
			}),
		]);
		if (!listed) unseen.push({...say.permissionListRoleBindings, verb: 'list', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', allowed: false});
		const roleBindings = listed ?? [];
		const ds = found.daemonSet;
		const identity = {namespace: ds.namespace, serviceAccount: ds.serviceAccount, perNodeCertificates: ds.perNodeCertificates};
		const target = chooseFixTarget({role: name, objects: {clusterRoles, clusterRoleBindings, roleBindings}, identity, daemonSet: ds, rules: patch.missing});
		if (target.kind === 'refused') throw invalid(say.sharedRoleRefused(name, target.others.map(g => describeGrantee(g, name)), target.reason, patch.missing), finding.sharedRoleRefused.code);
		if (target.kind === 'dedicated') return dedicatedPlan(client, found, options, patch, target, unseen);
		if (target.role !== name) {
			// The dedicated role of an earlier run: the identity's own, so that is where the rules go.
			role = await client.readClusterRole(target.role);
			aggregate = undefined;
			name = target.role;
			patch = planRolePatch(role.rules, needed, role.metadata?.resourceVersion);
		}
		gains = target.gains.map(g => describeGrantee(g, name));
	}
	const resourceVersion = role.metadata?.resourceVersion;
	const owner = managedBy(role.metadata);
	const autoupdateDisabled = optedOutOfAutoupdate(role);
	// A role an earlier run changed (or created) keeps that run's record, merged with this one's.
	const record = recordForPatch(role, patch.missing, patch.after, `${found.daemonSet.namespace}/${found.daemonSet.name}`);
	const operations = patch.empty ? [] : [...patch.jsonPatch, ...recordOperations(role, record, patch.before)];
	// The record holds the rules twice (before and after): on a very large role it passes the server's bound on
	// annotations, and the patch would be refused as a whole. Say so before asking, and how to apply it without one.
	const annotationBytes = operations.length > 0 ? annotationBytesWithRecord(role, operations) : 0;
	if (annotationBytes > annotationsLimitBytes && !options.check) throw invalid(say.recordTooLarge(name, (role.rules ?? []).length, annotationBytes, annotationsLimitBytes), finding.recordTooLarge.code);
	const permissions = [...(patch.empty || options.check ? [] : await preflight(client, found, name, patch.missing, options)), ...unseen];
	let serverDryRun = 'skipped';
	const blocked = autoupdateDisabled ? 'autoupdate' as const : owner ? 'managed' as const : undefined;
	if (!patch.empty && !options.check && options.dryRun !== 'client' && permissions.every(p => p.allowed || p.optional) && (!blocked || (blocked === 'managed' && options.force))) {
		// Server-side dry run first: admission and validation see the exact patch, nothing is stored.
		await client.patchClusterRole(name, operations, true).catch((error: unknown) => {
			throw error instanceof MultusError && error.kind === 'Conflict' ? new RoleChangedWhilePlanning(name, error) : error;
		});
		serverDryRun = 'passed';
	}
	const planned = role;
	const rulesAfter = patch.after;
	let manifest: string | undefined;
	return {
		role: name,
		resourceVersion,
		patch,
		owner,
		autoupdateDisabled,
		blocked,
		reconcileYaml: reconcileYaml(name, patch.missing),
		// Made when asked (only --emit writes it): the YAML of a whole role cost more CPU than the rest of the plan.
		get manifestYaml() {
			return (manifest ??= roleManifest(planned, rulesAfter));
		},
		...(aggregate ? {aggregate} : {}),
		operations,
		permissions,
		serverDryRun,
		gains,
		reachUnseen: unseen.length > 0,
	};
}

/** The plan when the role is shared: a new ClusterRole with the missing rules and a binding to the Multus identity alone. */
async function dedicatedPlan(client: KubeApi, found: Found, options: DoctorOptions, shared: RolePatchPlan, target: Extract<FixTarget, {kind: 'dedicated'}>, unseen: PermissionCheck[]): Promise<Plan> {
	const missing = shared.missing;
	const name = target.role.metadata?.name ?? '';
	const bindingName = target.binding.metadata?.name ?? '';
	const record = changeRecord(missing, missing, `${found.daemonSet.namespace}/${found.daemonSet.name}`, {binding: bindingName, subjects: target.binding.subjects ?? []});
	const clusterRole = {...target.role, metadata: {...target.role.metadata, annotations: {[changeAnnotation]: JSON.stringify(record)}}};
	// An earlier run's role kept without its binding must be exactly this one (the write keeps nothing else): said before asking.
	if (target.existing.role && !sameDedicatedRole(target.existing.role, clusterRole)) throw dedicatedTaken('ClusterRole', name);
	const existing = {role: target.existing.role !== undefined, binding: target.existing.binding !== undefined};
	const files = dedicatedYaml(target.role, target.binding);
	const permissions = [...(options.check ? [] : await preflightDedicated(client, found, name, missing, options, existing)), ...unseen];
	let serverDryRun = 'skipped';
	if (!options.check && options.dryRun !== 'client' && permissions.every(p => p.allowed || p.optional)) {
		// What an earlier run left is not created again (the write keeps it if it is still exactly the one planned:
		// Patch's createOrKeep); one that appeared since the read is refused as existing, which is no refusal here.
		if (!existing.role) await client.createClusterRole(clusterRole, true).catch(exists);
		if (!existing.binding) await client.createClusterRoleBinding(target.binding, true).catch(exists);
		serverDryRun = 'passed';
	}
	return {
		role: name,
		resourceVersion: undefined,
		patch: planRolePatch([], missing),
		owner: undefined,
		autoupdateDisabled: false,
		blocked: undefined,
		reconcileYaml: files,
		manifestYaml: files,
		operations: [],
		permissions,
		serverDryRun,
		gains: target.gains.map(g => describeGrantee(g, name)),
		reachUnseen: unseen.length > 0,
		dedicated: {clusterRole, clusterRoleBinding: target.binding, sharedRole: target.sharedRole, sharedRules: shared.before, othersBound: target.others.map(g => describeGrantee(g, target.sharedRole)), existing},
	};
}

/** A create's dry run refused because the object exists (a Conflict) is no refusal of the plan; anything else is. */
function exists(error: unknown): undefined {
	if (error instanceof MultusError && error.kind === 'Conflict') return undefined;
	throw error;
}

/** The dedicated ClusterRole and ClusterRoleBinding as one file for kubectl create/apply -f or a GitOps repository. */
function dedicatedYaml(role: V1ClusterRole, binding: V1ClusterRoleBinding): string {
	const {annotations: _annotations, ...metadata} = role.metadata ?? {};
	return [stringify(JSON.parse(JSON.stringify({...role, metadata}))), stringify(JSON.parse(JSON.stringify(binding)))].join('---\n');
}

/** True when a rule of `rules` names pods (or every resource) in the core group. */
function rulesOnPods(rules: V1PolicyRule[]): boolean {
	return rules.some(rule => (rule.apiGroups ?? []).includes('') && (rule.resources ?? []).some(r => r === 'pods' || r === '*'));
}

/**
 * The caller's permissions for a dedicated fix: create the objects not left by an earlier run, and grant the rules
 * (hold them, or escalate to create the role and bind to bind it).
 */
async function preflightDedicated(client: KubeApi, found: Found, role: string, adding: V1PolicyRule[], options: DoctorOptions, existing: {role: boolean; binding: boolean}): Promise<PermissionCheck[]> {
	const checks: Array<Omit<PermissionCheck, 'allowed'>> = [
		...(existing.role ? [] : [{...say.permissionCreate('ClusterRole', 'clusterroles'), verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles'}]),
		...(existing.binding ? [] : [{...say.permissionCreate('ClusterRoleBinding', 'clusterrolebindings'), verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings'}]),
	];
	checks.push(...restartAndVerifyChecks(found, options));
	const results = await selfChecks(client, checks);
	const lacking = await lackedAtoms(client, adding);
	if (lacking.length > 0) {
		// Creating a role with rules you do not hold needs escalate; binding it needs bind on it.
		for (const verb of [...(existing.role ? [] : ['escalate' as const]), ...(existing.binding ? [] : ['bind' as const])]) {
			const answer = await client.selfAccess({verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role});
			results.push({...say.permissionEscalate(role, lacking, verb), verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role, allowed: answer.allowed});
		}
	}
	return results;
}

/** What the fix needs after its RBAC write, whichever write it is: the restart, the access reviews, the logs (optional). */
function restartAndVerifyChecks(found: Found, options: DoctorOptions): Array<Omit<PermissionCheck, 'allowed'>> {
	const ns = found.daemonSet.namespace;
	return [
		...(options.restart ? [{...say.permissionPatchDaemonSet(ns, found.daemonSet.name), verb: 'patch', group: 'apps', resource: 'daemonsets', namespace: ns, name: found.daemonSet.name}] : []),
		{...say.permissionReviews, verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews'},
		{...say.permissionLogs(ns), verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: ns, optional: true},
	];
}

/** SelfSubjectAccessReviews of `checks`, each answered (the doctor's preflight, and undo's). */
export async function selfChecks(client: KubeApi, checks: Array<Omit<PermissionCheck, 'allowed'>>): Promise<PermissionCheck[]> {
	const answers = await Promise.all(
		checks.map(check => client.selfAccess({verb: check.verb, group: check.group, resource: check.resource, ...(check.subresource ? {subresource: check.subresource} : {}), ...(check.name ? {name: check.name} : {}), ...(check.namespace ? {namespace: check.namespace} : {})})),
	);
	return checks.map((check, index) => ({...check, allowed: answers[index]!.allowed}));
}

/** The verbs on resources in `adding` the caller does not hold (RBAC lets you grant only what you hold). */
async function lackedAtoms(client: KubeApi, adding: V1PolicyRule[]): Promise<Array<{verb: string; resource: string; group: string}>> {
	const holds = await Promise.all(
		adding.flatMap(rule => (rule.verbs ?? []).flatMap(verb => (rule.resources ?? []).map(resource => ({verb, resource, group: rule.apiGroups?.[0] ?? ''})))).map(async atom => ({
			atom,
			answer: await client.selfAccess({verb: atom.verb, group: atom.group, resource: atom.resource}),
		})),
	);
	return holds.filter(h => !h.answer.allowed).map(h => h.atom);
}

/** SelfSubjectAccessReviews for everything the fix does, each with the rule an admin would grant. */
async function preflight(client: KubeApi, found: Found, role: string, adding: V1PolicyRule[], options: DoctorOptions): Promise<PermissionCheck[]> {
	const checks: Array<Omit<PermissionCheck, 'allowed'>> = [
		{...say.permissionPatchRole(role), verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role},
	];
	checks.push(...restartAndVerifyChecks(found, options));
	const results = await selfChecks(client, checks);
	// RBAC escalation prevention: granting a permission needs holding it, or `escalate` on the role.
	const lacking = await lackedAtoms(client, adding);
	if (lacking.length > 0) {
		const escalate = await client.selfAccess({verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role});
		results.push({...say.permissionEscalate(role, lacking, 'escalate'), verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role, allowed: escalate.allowed});
	}
	return results;
}

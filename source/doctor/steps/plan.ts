import type {V1PolicyRule} from '@kubernetes/client-node';
import {MultusError} from '../../errors.js';
import {ExitCode} from '../../exit-codes.js';
import type {KubeApi} from '../../kube/client.js';
import {managedBy, optedOutOfAutoupdate} from '../../multus/discovery.js';
import {aggregationSources, planRolePatch} from '../../multus/rbac.js';
import {blockingRules} from '../../multus/requirements.js';
import type {DoctorOptions} from '../../options.js';
import type {Found, PermissionCheck, Plan} from '../model.js';
import {say} from '../present.js';
import {changeRecord, reconcileYaml, recordOperations, roleManifest} from '../record.js';
import {clientOf, done, need, outcome, type Step} from './step.js';

/** Current vs needed: which role to patch, the minimal patch, and whether the caller may apply it. */
export const planStep: Step = {
	id: 'plan',
	async run(context) {
		const found = need(context.facts.found, 'Multus DaemonSet');
		const plan = await makePlan(clientOf(context), found, context.options);
		context.facts.plan = plan;
		context.emit({type: 'planned', plan});
		if (plan.patch.empty && context.options.check) return outcome('problem', ExitCode.ProblemFound, say.checkAlreadyGranted(plan.role));
		if (plan.patch.empty) context.emit({type: 'note', note: say.nothingToPatch(plan.role)});
		return done;
	},
};

const invalid = (words: {message: string; hint: string}) => new MultusError('Invalid', words.message, {hint: words.hint});

async function makePlan(client: KubeApi, found: Found, options: DoctorOptions): Promise<Plan> {
	const needed = blockingRules(found.daemonSet.mode, found.daemonSet.release.release);
	if (found.roles.length === 0) throw invalid(say.noRoleBound(found.daemonSet));
	// Prefer the role that already grants something on pods: it is the one that "means" multus's pod access.
	// Only roles bound to the daemon's identity (its ServiceAccount, or the system:multus group of per-node
	// certificates) are candidates: never a built-in role shared through system:authenticated and the like.
	const direct = found.roles.filter(role => role.grants.some(g => !g.shared));
	if (direct.length === 0) throw invalid(say.onlySharedRoles(found.daemonSet, found.identity.user));
	const preferred = direct.find(role => rulesOnPods(role.rules)) ?? direct[0]!;
	let role = await client.readClusterRole(preferred.name);
	let aggregate: Plan['aggregate'];
	// Aggregated roles are rebuilt by the controller from their sources: patch a source instead, the one that
	// holds the pods rules (the role that "means" pod access), else the first by name.
	if (role.aggregationRule) {
		const sources = aggregationSources(role, await client.listClusterRoles()).filter(s => !s.aggregationRule);
		const withPods = sources.filter(s => rulesOnPods(s.rules ?? []));
		const source = withPods[0] ?? sources[0];
		if (!source) throw invalid(say.aggregateWithoutSource(preferred.name));
		const sourceName = source.metadata?.name ?? '';
		const names = sources.map(s => s.metadata?.name ?? '');
		aggregate = {role: preferred.name, source: sourceName, sources: names, why: say.aggregateSourceWhy(withPods.map(s => s.metadata?.name ?? ''))};
		role = source;
	}
	const name = role.metadata?.name ?? preferred.name;
	const resourceVersion = role.metadata?.resourceVersion;
	const patch = planRolePatch(role.rules, needed, resourceVersion);
	const owner = managedBy(role.metadata);
	const autoupdateDisabled = optedOutOfAutoupdate(role);
	const record = changeRecord(patch.missing, patch.after, `${found.daemonSet.namespace}/${found.daemonSet.name}`);
	const operations = patch.empty ? [] : [...patch.jsonPatch, ...recordOperations(role, record, patch.before)];
	const permissions = patch.empty || options.check ? [] : await preflight(client, found, name, patch.missing, options);
	let serverDryRun = 'skipped';
	const blocked = autoupdateDisabled ? 'autoupdate' as const : owner ? 'managed' as const : undefined;
	if (!patch.empty && !options.check && options.dryRun !== 'client' && permissions.every(p => p.allowed || p.optional) && (!blocked || (blocked === 'managed' && options.force))) {
		// Server-side dry run first: admission and validation see the exact patch, nothing is stored.
		await client.patchClusterRole(name, operations, true);
		serverDryRun = 'passed';
	}
	return {
		role: name,
		resourceVersion,
		patch,
		owner,
		autoupdateDisabled,
		blocked,
		reconcileYaml: reconcileYaml(name, patch.missing),
		manifestYaml: roleManifest(role, patch.after),
		...(aggregate ? {aggregate} : {}),
		operations,
		permissions,
		serverDryRun,
	};
}

/** True when a rule of `rules` names pods (or every resource) in the core group. */
function rulesOnPods(rules: V1PolicyRule[]): boolean {
	return rules.some(rule => (rule.apiGroups ?? []).includes('') && (rule.resources ?? []).some(r => r === 'pods' || r === '*'));
}

/** SelfSubjectAccessReviews for everything the fix does, each with the rule an admin would grant. */
async function preflight(client: KubeApi, found: Found, role: string, adding: V1PolicyRule[], options: DoctorOptions): Promise<PermissionCheck[]> {
	const ns = found.daemonSet.namespace;
	const checks: Array<Omit<PermissionCheck, 'allowed'>> = [
		{...say.permissionPatchRole(role), verb: 'patch', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role},
	];
	if (options.restart) {
		checks.push({...say.permissionPatchDaemonSet(ns, found.daemonSet.name), verb: 'patch', group: 'apps', resource: 'daemonsets', namespace: ns, name: found.daemonSet.name});
	}
	checks.push({...say.permissionReviews, verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews'});
	checks.push({...say.permissionLogs(ns), verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: ns, optional: true});
	const answers = await Promise.all(
		checks.map(check => client.selfAccess({verb: check.verb, group: check.group, resource: check.resource, ...(check.subresource ? {subresource: check.subresource} : {}), ...(check.name ? {name: check.name} : {}), ...(check.namespace ? {namespace: check.namespace} : {})})),
	);
	const results: PermissionCheck[] = checks.map((check, index) => ({...check, allowed: answers[index]!.allowed}));
	// RBAC escalation prevention: granting a permission needs holding it, or `escalate` on the role.
	const holds = await Promise.all(
		adding.flatMap(rule => (rule.verbs ?? []).flatMap(verb => (rule.resources ?? []).map(resource => ({verb, resource, group: rule.apiGroups?.[0] ?? ''})))).map(async atom => ({
			atom,
			answer: await client.selfAccess({verb: atom.verb, group: atom.group, resource: atom.resource}),
		})),
	);
	const lacking = holds.filter(h => !h.answer.allowed);
	if (lacking.length > 0) {
		const escalate = await client.selfAccess({verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role});
		results.push({...say.permissionEscalate(role, lacking.map(h => h.atom)), verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: role, allowed: escalate.allowed});
	}
	return results;
}

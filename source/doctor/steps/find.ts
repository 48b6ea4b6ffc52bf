import type {V1ClusterRole, V1ConfigMap, V1Container, V1DaemonSet} from '@kubernetes/client-node';
import {MultusError, usageError} from '../../errors.js';
import type {KubeApi} from '../../kube/client.js';
import {
	describeMultus,
	grantsForIdentity,
	lookalikeBindings,
	managedBy,
	mountedConfigMaps,
	optedOutOfAutoupdate,
	perNodeCertificateIdentity,
	recogniseMultus,
	serviceAccountIdentity,
	type MultusDaemonSet,
} from '../../multus/discovery.js';
import {finding} from '../../multus/findings.js';
import type {DoctorOptions} from '../../options.js';
import {selectorOf} from '../evidence.js';
import type {BoundRole, Found} from '../model.js';
import {say} from '../present.js';
import {clientOf, done, type Step} from './step.js';

/** Find Multus: the one Multus DaemonSet, the identity its daemons use, and the ClusterRoles bound to it. */
export const findStep: Step = {
	id: 'find',
	async run(context) {
		const found = await findMultus(clientOf(context), context.options);
		context.facts.found = found;
		context.emit({type: 'found', found});
		return done;
	},
};

const fail = (kind: 'NotFound', words: {message: string; hint: string}, code?: string) => new MultusError(kind, words.message, {hint: words.hint, ...(code ? {finding: code} : {})});

/** The container a DaemonSet named with --daemonset runs Multus in: the one discovery would pick, else the first. */
function containerOf(ds: V1DaemonSet, multus: MultusDaemonSet | undefined): V1Container {
	const containers = ds.spec?.template.spec?.containers ?? [];
	return containers.find(c => c.name === multus?.container) ?? containers[0] ?? {name: ''};
}

/** The one Multus DaemonSet, as discovery reads it, and the identity its daemons use. */
export interface FoundDaemonSet {
	ds: V1DaemonSet;
	multus: MultusDaemonSet;
	identity: {user: string; groups: string[]};
}

/**
 * The first half of Find, before any RBAC object is read: the one Multus DaemonSet (recognised, or named with
 * --daemonset), its daemon config and the identity its daemons use. `report` uses it alone when the roles
 * cannot be read.
 */
export async function findDaemonSet(client: KubeApi, options: Pick<DoctorOptions, 'connection' | 'daemonSet'>): Promise<FoundDaemonSet> {
	const namespace = options.connection.namespace;
	const daemonSets = await client.listDaemonSets(namespace);
	if (namespace && daemonSets.length === 0 && !(await client.namespaceExists(namespace))) {
		const words = say.namespaceMissing(namespace);
		throw usageError(words.message, words.hint);
	}
	let candidates = daemonSets.map(ds => ({ds, multus: recogniseMultus(ds)})).filter((c): c is {ds: V1DaemonSet; multus: MultusDaemonSet} => c.multus !== undefined);
	if (options.daemonSet) {
		const named = daemonSets.filter(ds => ds.metadata?.name === options.daemonSet);
		if (named.length === 0) throw fail('NotFound', say.daemonSetMissing(options.daemonSet, namespace));
		// Taken on the user's word: described by the same rules as a recognised one, from its first container.
		candidates = named.map(ds => ({ds, multus: recogniseMultus(ds) ?? describeMultus(ds, containerOf(ds, undefined), [say.namedWithFlag])}));
	}
	if (candidates.length === 0) throw fail('NotFound', say.multusMissing(namespace), finding.multusNotFound.code);
	if (candidates.length > 1) {
		const words = say.multusTwice(candidates.map(c => c.multus));
		throw usageError(words.message, words.hint, finding.multusTwice.code);
	}
	const {ds} = candidates[0]!;
	let {multus} = candidates[0]!;
	// The thick daemon's config (a mounted ConfigMap) may turn on per-node certificates, and says whether the
	// daemon's own lines reach its log (what Verify reads): read it, best effort.
	if (multus.mode === 'thick') {
		const configMaps = await Promise.all(mountedConfigMaps(ds).map(name => client.readConfigMap(multus.namespace, name).catch(() => undefined)));
		const withConfig = describeMultus(ds, containerOf(ds, multus), multus.evidence, configMaps.filter((cm): cm is V1ConfigMap => cm !== undefined));
		multus = {...multus, perNodeCertificates: multus.perNodeCertificates || withConfig.perNodeCertificates, daemonLog: withConfig.daemonLog};
	}
	let identity = serviceAccountIdentity(multus.namespace, multus.serviceAccount);
	if (multus.perNodeCertificates) {
		// Every node's daemon is its own user in the same group: one node's identity stands for all.
		const pod = (await client.listPods(multus.namespace, selectorOf(ds), 1)).items[0];
		identity = perNodeCertificateIdentity(pod?.spec?.nodeName ?? 'unscheduled');
	}
	return {ds, multus, identity};
}

async function findMultus(client: KubeApi, options: DoctorOptions): Promise<Found> {
	const {ds, multus, identity} = await findDaemonSet(client, options);
	const bindings = await client.listClusterRoleBindings();
	const grants = grantsForIdentity(bindings, identity);
	// An operator that owns the DaemonSet renders and reconciles its RBAC too, even where the role carries no marker.
	const daemonSetOwner = managedBy(ds.metadata);
	const operator = daemonSetOwner?.kind === 'operator' ? daemonSetOwner : undefined;
	const roleNames = [...new Set(grants.map(g => g.role))];
	// One request for all roles, whatever the number of bindings (a cluster has hundreds of roles, not millions).
	const rolesByName = new Map((roleNames.length > 1 ? await client.listClusterRoles() : await Promise.all(roleNames.map(name => client.readClusterRole(name).catch(error => {
		if (error instanceof MultusError && error.kind === 'NotFound') return undefined;
		throw error;
	})))).filter((role): role is V1ClusterRole => role !== undefined).map(role => [role.metadata?.name ?? '', role]));
	const roles: BoundRole[] = [];
	const missingRoles: NonNullable<Found['missingRoles']> = [];
	for (const name of roleNames) {
		const role = rolesByName.get(name);
		if (!role) {
			// A binding to a missing role grants nothing; said so by name (not "only through shared groups").
			const direct = grants.filter(g => g.role === name && !g.shared);
			if (direct.length > 0) missingRoles.push({role: name, bindings: direct.map(g => g.binding)});
			continue;
		}
		roles.push({
			name,
			rules: role.rules ?? [],
			resourceVersion: role.metadata?.resourceVersion,
			owner: managedBy(role.metadata) ?? operator,
			autoupdateDisabled: optedOutOfAutoupdate(role),
			grants: grants.filter(g => g.role === name),
		});
	}
	return {
		daemonSet: multus,
		desired: ds.status?.desiredNumberScheduled ?? 0,
		ready: ds.status?.numberReady ?? 0,
		selector: selectorOf(ds),
		identity,
		roles,
		...(missingRoles.length > 0 ? {missingRoles} : {}),
		lookalikeBindings: lookalikeBindings(bindings, multus.namespace, multus.serviceAccount),
		daemonSetOwner,
	};
}

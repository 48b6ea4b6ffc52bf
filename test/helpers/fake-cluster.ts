// An API server in memory, for flow tests that run in milliseconds: it stores objects, applies JSON patches as the
// real one does (a failed `test` is a Conflict), answers SubjectAccessReviews from the RBAC it stores, runs a small
// DaemonSet controller (rolling, stuck, or none), serves watches and per-pod log text, and can be told to lose an
// answer, to answer nothing, or to answer something else on chosen calls.
import type {
	CoreV1Event,
	V1ServiceAccount,
	V1ClusterRole,
	V1ClusterRoleBinding,
	V1ConfigMap,
	V1DaemonSet,
	V1Pod,
	V1PolicyRule,
	V1ResourceAttributes,
	V1RoleBinding,
} from '@kubernetes/client-node';
import {MultusError} from '../../source/errors.js';
import {restartedAtAnnotation, type AccessAnswer, type KubeApi, type PodPage, type Precondition, type WatchEvent} from '../../source/kube/client.js';
import type {ConnectionInfo} from '../../source/kube/config.js';
import {grantsForIdentity} from '../../source/multus/discovery.js';
import {aggregationSources, rulesCover, type JsonPatchOperation} from '../../source/multus/rbac.js';
import type {FlowEnv} from '../../source/doctor/runner.js';
import {applyJsonPatch, PatchFailed, type Json} from './json-patch.js';

type Method = keyof KubeApi;

/**
 * What a call does instead of its normal work: `no-answer` times out before doing anything; `lose-answer` does
 * the work, then times out (the answer is lost); `hang` never answers; `{answer}` answers that; `{error}` fails
 * with it; `{before}` runs first (someone else writes), then the call goes on normally.
 */
export type Fault =
	| 'no-answer'
	| 'lose-answer'
	| 'hang'
	| {answer: unknown}
	| {error: MultusError}
	| {before: (cluster: FakeCluster) => void}
	/** Answers, but only after this long (a slow server or a long way to it). */
	| {delayMs: number};

interface ScriptedFault {
	method: Method;
	matches: (args: unknown[]) => boolean;
	fault: Fault;
	times: number;
}

/** How the fake DaemonSet controller answers a change of the pod template. */
export type Controller =
	/** Replaces every pod with a ready one of the new template, then reports the rollout done. */
	| 'rolling'
	/** Observes the change and replaces the first node's pod with one that never gets ready. */
	| 'stuck'
	/** Observes the change and deletes the first node's old pod; its replacement is not created (yet), with no error. */
	| 'between'
	/** Does nothing (the change is never observed). */
	| 'none';

interface Watcher {
	namespace: string;
	name: string | undefined;
	onEvent: (event: WatchEvent<V1DaemonSet>) => void;
	onEnd: (error: MultusError | undefined) => void;
	ended: boolean;
}

const clone = <T>(value: T): T => structuredClone(value);

export function noAnswer(action: string): MultusError {
	return new MultusError('Timeout', `cannot ${action}: no answer from the API server at https://fake.invalid in time`, {hint: 'fake cluster'});
}

/** `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated: the label selectors the doctor builds. */
function matchesSelector(labels: Record<string, string> | undefined, selector: string, read: (key: string) => string | undefined = key => labels?.[key]): boolean {
	if (!selector) return true;
	return selector.split(',').every(term => {
		const not = /^(.+?)!=(.*)$/.exec(term);
		if (not) return read(not[1]!) !== not[2];
		const is = /^(.+?)==?(.*)$/.exec(term);
		if (is) return read(is[1]!) === is[2];
		if (term.startsWith('!')) return read(term.slice(1)) === undefined;
		return read(term) !== undefined;
	});
}

function podField(pod: V1Pod, key: string): string | undefined {
	if (key === 'metadata.name') return pod.metadata?.name;
	if (key === 'spec.nodeName') return pod.spec?.nodeName;
	if (key === 'status.phase') return pod.status?.phase;
	throw new Error(`fake cluster: field selector ${key} not supported`);
}

function eventField(event: CoreV1Event, key: string): string | undefined {
	if (key === 'involvedObject.kind') return event.involvedObject.kind;
	if (key === 'involvedObject.name') return event.involvedObject.name;
	if (key === 'involvedObject.uid') return event.involvedObject.uid;
	if (key === 'reason') return event.reason;
	throw new Error(`fake cluster: field selector ${key} not supported`);
}

/** The pods a DaemonSet's controller made: one per node, of `generation`, ready or not. */
export function daemonPod(ds: V1DaemonSet, node: string, generation: string, ready = true, suffix = node): V1Pod {
	return {
		metadata: {
			namespace: ds.metadata?.namespace,
			name: `${ds.metadata?.name}-g${generation}-${suffix}`,
			labels: {...ds.spec?.selector.matchLabels, 'pod-template-generation': generation},
		},
		spec: {nodeName: node, containers: []},
		status: ready
			? {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}
			: {phase: 'Pending', conditions: [{type: 'Ready', status: 'False'}], containerStatuses: [{name: 'kube-multus', image: '', imageID: '', ready: false, restartCount: 0, state: {waiting: {reason: 'ContainerCreating'}}}]},
	};
}

export class FakeCluster implements KubeApi {
	readonly namespaces = new Set<string>();
	daemonSets: V1DaemonSet[] = [];
	clusterRoles: V1ClusterRole[] = [];
	bindings: V1ClusterRoleBinding[] = [];
	roleBindings: V1RoleBinding[] = [];
	configMaps: V1ConfigMap[] = [];
	/** ServiceAccounts that do not exist, as namespace/name (every other one does). */
	readonly missingServiceAccounts = new Set<string>();
	events: CoreV1Event[] = [];
	pods: V1Pod[] = [];
	/** Log text per pod name; pods without an entry log nothing. */
	readonly logs = new Map<string, string>();
	/**
	 * The log text of pods the controller creates. Undefined: what a real thick daemon would print as its pod's
	 * ServiceAccount under this cluster's RBAC at that moment (started, a denial and a sync failure per informer it
	 * may not list and watch, then ready): see daemonLog.
	 */
	newPodLog: string | undefined = undefined;
	/** SelfSubjectAccessReviews the caller is denied (all others are allowed). */
	selfDenied: Array<Partial<V1ResourceAttributes>> = [];
	controller: Controller = 'rolling';
	serverGitVersion = 'v1.36.3';
	/** Every call, in order: the method and its arguments. */
	readonly calls: Array<{method: Method; args: unknown[]}> = [];
	private readonly faults: ScriptedFault[] = [];
	private readonly watchers: Watcher[] = [];
	/** Deleted DaemonSets, as the watch cache keeps them: a watch from before the deletion still hears of it. */
	private readonly tombstones: V1DaemonSet[] = [];
	private revision = 100;
	/** Watches from a resourceVersion below this one get 410 Gone (compacted away). */
	compactedBelow = 0;

	/** The env runDoctorFlow takes: this cluster, and no pause between read-backs. */
	env(info: Partial<ConnectionInfo> = {}): FlowEnv {
		return {
			connect: () => ({
				client: this,
				info: {context: 'fake', cluster: 'fake', server: 'https://fake.invalid', user: 'admin', impersonating: undefined, kubeconfigSource: 'test', ...info},
			}),
			readBackDelaysMs: [0],
		};
	}

	/** The next resourceVersion (as the store would hand out). */
	nextRevision(): string {
		return String(++this.revision);
	}

	/** Stores `object` with a fresh resourceVersion. */
	private stamp<T extends {metadata?: {resourceVersion?: string}}>(object: T): T {
		object.metadata = {...object.metadata, resourceVersion: this.nextRevision()};
		return object;
	}

	addNamespace(name: string): this {
		this.namespaces.add(name);
		return this;
	}

	addDaemonSet(ds: V1DaemonSet): this {
		this.namespaces.add(ds.metadata?.namespace ?? '');
		this.daemonSets.push(this.stamp(clone(ds)));
		return this;
	}

	addClusterRole(role: V1ClusterRole): this {
		this.clusterRoles.push(this.stamp(clone(role)));
		return this;
	}

	addBinding(binding: V1ClusterRoleBinding): this {
		this.bindings.push(this.stamp(clone(binding)));
		return this;
	}

	addRoleBinding(binding: V1RoleBinding): this {
		this.roleBindings.push(this.stamp(clone(binding)));
		return this;
	}

	addConfigMap(configMap: V1ConfigMap): this {
		this.configMaps.push(this.stamp(clone(configMap)));
		return this;
	}

	addPod(pod: V1Pod, log?: string): this {
		this.pods.push(this.stamp(clone(pod)));
		if (log !== undefined) this.logs.set(pod.metadata?.name ?? '', log);
		return this;
	}

	/** The next `times` calls of `method` whose arguments `matches` do what `fault` says instead. */
	fault(method: Method, fault: Fault, options: {matches?: (args: unknown[]) => boolean; times?: number} = {}): this {
		this.faults.push({method, fault, matches: options.matches ?? (() => true), times: options.times ?? 1});
		return this;
	}

	/** Calls of `method` so far. */
	callsOf(method: Method): unknown[][] {
		return this.calls.filter(call => call.method === method).map(call => call.args);
	}

	role(name: string): V1ClusterRole | undefined {
		const role = this.clusterRoles.find(r => r.metadata?.name === name);
		return role && this.aggregated(role);
	}

	daemonSet(namespace: string, name: string): V1DaemonSet | undefined {
		return this.daemonSets.find(ds => ds.metadata?.namespace === namespace && ds.metadata?.name === name);
	}

	/** Someone else changes a ClusterRole (a new rule, a new resourceVersion), as kubectl edit would. */
	writeRole(name: string, change: (role: V1ClusterRole) => void): void {
		const role = this.clusterRoles.find(r => r.metadata?.name === name);
		if (!role) throw new Error(`fake cluster: no ClusterRole ${name}`);
		change(role);
		this.stamp(role);
	}

	/** Replaces a DaemonSet's stored state (a controller's status update) and tells its watchers. */
	updateDaemonSet(ds: V1DaemonSet, change: (ds: V1DaemonSet) => void): void {
		change(ds);
		this.stamp(ds);
		this.emit('MODIFIED', ds);
	}

	deleteDaemonSet(namespace: string, name: string): void {
		const ds = this.daemonSet(namespace, name);
		if (!ds) return;
		this.daemonSets = this.daemonSets.filter(other => other !== ds);
		this.stamp(ds);
		this.tombstones.push(ds);
		this.emit('DELETED', ds);
	}

	/** Ends every open watch: a clean close (undefined) or with `error` (Gone for a 410). */
	dropWatches(error?: MultusError): void {
		for (const watcher of this.watchers.splice(0)) {
			if (watcher.ended) continue;
			watcher.ended = true;
			watcher.onEnd(error);
		}
	}

	/** The store compacts its history: a watch from any resourceVersion before now gets 410 Gone. */
	compact(): void {
		this.compactedBelow = this.revision;
	}

	/** How many watches are open. */
	openWatches(): number {
		return this.watchers.filter(w => !w.ended).length;
	}

	private emit(type: WatchEvent<V1DaemonSet>['type'], ds: V1DaemonSet): void {
		for (const watcher of this.watchers) {
			if (watcher.ended || watcher.namespace !== ds.metadata?.namespace || (watcher.name && watcher.name !== ds.metadata?.name)) continue;
			watcher.onEvent({type, object: clone(ds)});
		}
	}

	/** An aggregated role's rules are its sources' (as the aggregation controller keeps them; at once here). */
	private aggregated(role: V1ClusterRole): V1ClusterRole {
		if (!role.aggregationRule) return clone(role);
		const rules = aggregationSources(role, this.clusterRoles).flatMap(source => source.rules ?? []);
		return {...clone(role), rules: clone(rules)};
	}

	/** Runs the call's scripted fault, if one matches; `work` is the call's normal work. */
	private async call<T>(method: Method, args: unknown[], action: string, work: () => T): Promise<T> {
		this.calls.push({method, args});
		// Answers come asynchronously, as from a server.
		await Promise.resolve();
		const scripted = this.faults.find(f => f.method === method && f.times > 0 && f.matches(args));
		if (!scripted) return work();
		scripted.times--;
		const fault = scripted.fault;
		if (fault === 'no-answer') throw noAnswer(action);
		if (fault === 'lose-answer') {
			work();
			throw noAnswer(action);
		}
		if (fault === 'hang') return new Promise<T>(() => {});
		if ('answer' in fault) return fault.answer as T;
		if ('error' in fault) throw fault.error;
		if ('delayMs' in fault) {
			await new Promise(resolve => setTimeout(resolve, fault.delayMs));
			return work();
		}
		fault.before(this);
		return work();
	}

	serverVersion(): Promise<string> {
		return this.call('serverVersion', [], 'read the server version', () => this.serverGitVersion);
	}

	listDaemonSets(namespace: string | undefined): Promise<V1DaemonSet[]> {
		return this.call('listDaemonSets', [namespace], 'list DaemonSets', () => this.daemonSets.filter(ds => !namespace || ds.metadata?.namespace === namespace).map(clone));
	}

	listDaemonSetByName(namespace: string, name: string): Promise<{daemonSet: V1DaemonSet | undefined; resourceVersion: string | undefined}> {
		return this.call('listDaemonSetByName', [namespace, name], `read DaemonSet ${namespace}/${name}`, () => {
			const ds = this.daemonSet(namespace, name);
			return {daemonSet: ds && clone(ds), resourceVersion: String(this.revision)};
		});
	}

	readDaemonSet(namespace: string, name: string): Promise<V1DaemonSet> {
		return this.call('readDaemonSet', [namespace, name], `read DaemonSet ${namespace}/${name}`, () => {
			const ds = this.daemonSet(namespace, name);
			if (!ds) throw new MultusError('NotFound', `cannot read DaemonSet ${namespace}/${name}: daemonsets.apps "${name}" not found`, {status: 404});
			return clone(ds);
		});
	}

	namespaceExists(name: string): Promise<boolean> {
		return this.call('namespaceExists', [name], `read namespace ${name}`, () => this.namespaces.has(name));
	}

	listClusterRoleBindings(): Promise<V1ClusterRoleBinding[]> {
		return this.call('listClusterRoleBindings', [], 'list ClusterRoleBindings', () => this.bindings.map(clone));
	}

	readClusterRole(name: string): Promise<V1ClusterRole> {
		return this.call('readClusterRole', [name], `read ClusterRole ${name}`, () => {
			const role = this.role(name);
			if (!role) throw new MultusError('NotFound', `cannot read ClusterRole ${name}: clusterroles.rbac.authorization.k8s.io "${name}" not found`, {status: 404});
			return role;
		});
	}

	listClusterRoles(labelSelector?: string): Promise<V1ClusterRole[]> {
		return this.call('listClusterRoles', [labelSelector], 'list ClusterRoles', () =>
			this.clusterRoles.filter(role => matchesSelector(role.metadata?.labels, labelSelector ?? '')).map(role => this.aggregated(role)),
		);
	}

	readServiceAccount(namespace: string, name: string): Promise<V1ServiceAccount> {
		return this.call('readServiceAccount', [namespace, name], `read ServiceAccount ${namespace}/${name}`, () => {
			if (this.missingServiceAccounts.has(`${namespace}/${name}`)) {
				throw new MultusError('NotFound', `cannot read ServiceAccount ${namespace}/${name}: serviceaccounts "${name}" not found`, {status: 404});
			}
			return {metadata: {namespace, name}};
		});
	}

	listEvents(namespace: string, fieldSelector: string): Promise<CoreV1Event[]> {
		return this.call('listEvents', [namespace, fieldSelector], `list events in ${namespace}`, () =>
			this.events.filter(event => event.metadata?.namespace === namespace && matchesSelector(undefined, fieldSelector, key => eventField(event, key))).map(clone),
		);
	}

	readConfigMap(namespace: string, name: string): Promise<V1ConfigMap> {
		return this.call('readConfigMap', [namespace, name], `read ConfigMap ${namespace}/${name}`, () => {
			const configMap = this.configMaps.find(cm => cm.metadata?.namespace === namespace && cm.metadata?.name === name);
			if (!configMap) throw new MultusError('NotFound', `cannot read ConfigMap ${namespace}/${name}: not found`, {status: 404});
			return clone(configMap);
		});
	}

	listPods(namespace: string, labelSelector: string, limit?: number, page: {fieldSelector?: string; continueToken?: string} = {}): Promise<PodPage> {
		return this.call('listPods', [namespace, labelSelector, limit, page], `list pods ${labelSelector} in ${namespace}`, () => {
			const all = this.pods.filter(
				pod => pod.metadata?.namespace === namespace && matchesSelector(pod.metadata?.labels, labelSelector) && matchesSelector(undefined, page.fieldSelector ?? '', key => podField(pod, key)),
			);
			const start = Number(page.continueToken ?? 0);
			const end = limit ? start + limit : all.length;
			return {items: all.slice(start, end).map(clone), resourceVersion: String(this.revision), continueToken: end < all.length ? String(end) : undefined};
		});
	}

	readPodLog(namespace: string, name: string, container: string, limitBytes: number, sinceTime?: Date): Promise<string> {
		return this.call('readPodLog', [namespace, name, container, limitBytes, sinceTime], `read the log of pod ${namespace}/${name}`, () => {
			if (!this.pods.some(pod => pod.metadata?.namespace === namespace && pod.metadata?.name === name)) {
				throw new MultusError('NotFound', `cannot read the log of pod ${namespace}/${name}: pods "${name}" not found`, {status: 404});
			}
			const text = this.logs.get(name) ?? '';
			return text.length > limitBytes ? text.slice(text.length - limitBytes) : text;
		});
	}

	/** Answered from the stored bindings and roles: the RBAC authorizer's answer, at cluster scope. */
	subjectAccess(user: string, groups: string[], attributes: V1ResourceAttributes): Promise<AccessAnswer> {
		return this.call('subjectAccess', [user, groups, attributes], 'create a SubjectAccessReview', () => this.authorize({user, groups}, attributes));
	}

	/** The start-up a real thick daemon of `ds` prints (timestamped as kubectl logs --timestamps), under today's RBAC. */
	daemonLog(ds: V1DaemonSet): string {
		const sa = ds.spec?.template.spec?.serviceAccountName ?? 'default';
		const namespace = ds.metadata?.namespace ?? '';
		const identity = {user: `system:serviceaccount:${namespace}:${sa}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated']};
		const at = new Date().toISOString();
		const lines = [`${at} ${at.replace(/\.\d+Z$/, 'Z')} [verbose] multus-daemon started`];
		for (const [group, resource, type, informer] of [['', 'pods', '*v1.Pod', 'pod'], ['k8s.cni.cncf.io', 'network-attachment-definitions', '*v1.NetworkAttachmentDefinition', 'net-attach-def']] as const) {
			const denied = (['list', 'watch'] as const).find(verb => !this.authorize(identity, {verb, group, resource}).allowed);
			if (!denied) continue;
			const qualified = group ? `${resource}.${group}` : resource;
			lines.push(`${at} E1124 22:19:49.746123       1 reflector.go:205] "Failed to watch" err="failed to ${denied} ${type}: ${qualified} is forbidden: User \\"${identity.user}\\" cannot ${denied} resource \\"${resource}\\" in API group \\"${group}\\" at the cluster scope" logger="UnhandledError"`);
			lines.push(`${at} ${at.replace(/\.\d+Z$/, 'Z')} [error] failed to sync ${informer} informer cache`);
		}
		lines.push(`${at} ${at.replace(/\.\d+Z$/, 'Z')} [verbose] API readiness check done!`);
		return `${lines.join('\n')}\n`;
	}

	/** What RBAC would answer for `identity` from the stored bindings and roles. */
	authorize(identity: {user: string; groups: string[]}, attributes: V1ResourceAttributes): AccessAnswer {
		const asked: V1PolicyRule = {
			apiGroups: [attributes.group ?? ''],
			resources: [attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : (attributes.resource ?? '')],
			verbs: [attributes.verb ?? ''],
			...(attributes.name ? {resourceNames: [attributes.name]} : {}),
		};
		for (const grant of grantsForIdentity(this.bindings, identity)) {
			const role = this.role(grant.role);
			if (role && rulesCover(role.rules ?? [], asked)) {
				return {allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${grant.binding}" of ClusterRole "${grant.role}" to ${grant.via}`};
			}
		}
		return {allowed: false, reason: undefined};
	}

	selfAccess(attributes: V1ResourceAttributes): Promise<AccessAnswer> {
		return this.call('selfAccess', [attributes], 'create a SelfSubjectAccessReview', () => {
			const denied = this.selfDenied.some(deny => Object.entries(deny).every(([key, value]) => attributes[key as keyof V1ResourceAttributes] === value));
			return {allowed: !denied, reason: undefined};
		});
	}

	/** Who the server takes the caller for (SelfSubjectReview). */
	caller = {username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated']};

	whoAmI(): Promise<{username: string; groups: string[]}> {
		return this.call('whoAmI', [], 'create a SelfSubjectReview', () => clone(this.caller));
	}

	patchClusterRole(name: string, operations: JsonPatchOperation[], dryRun: boolean): Promise<V1ClusterRole> {
		return this.call('patchClusterRole', [name, operations, dryRun], `patch ClusterRole ${name}`, () => {
			const index = this.clusterRoles.findIndex(r => r.metadata?.name === name);
			if (index === -1) throw new MultusError('NotFound', `cannot patch ClusterRole ${name}: not found`, {status: 404});
			let next: V1ClusterRole;
			try {
				next = applyJsonPatch(clone(this.clusterRoles[index]!) as unknown as Json, operations, {removes: true}) as unknown as V1ClusterRole;
			} catch (error) {
				if (error instanceof PatchFailed) throw new MultusError('Conflict', `ClusterRole ${name} changed since it was read (${error.message})`, {status: 409});
				throw error;
			}
			if (dryRun) return this.aggregated(next);
			this.clusterRoles[index] = this.stamp(next);
			return this.aggregated(next);
		});
	}

	listRoleBindings(): Promise<V1RoleBinding[]> {
		return this.call('listRoleBindings', [], 'list RoleBindings in all namespaces', () => this.roleBindings.map(clone));
	}

	readClusterRoleBinding(name: string): Promise<V1ClusterRoleBinding> {
		return this.call('readClusterRoleBinding', [name], `read ClusterRoleBinding ${name}`, () => {
			const binding = this.bindings.find(b => b.metadata?.name === name);
			if (!binding) throw new MultusError('NotFound', `cannot read ClusterRoleBinding ${name}: clusterrolebindings.rbac.authorization.k8s.io "${name}" not found`, {status: 404});
			return clone(binding);
		});
	}

	createClusterRole(role: V1ClusterRole, dryRun: boolean): Promise<V1ClusterRole> {
		const name = role.metadata?.name ?? '';
		return this.call('createClusterRole', [role, dryRun], `create ClusterRole ${name}`, () => {
			if (this.clusterRoles.some(r => r.metadata?.name === name)) throw new MultusError('Conflict', `cannot create ClusterRole ${name}: clusterroles.rbac.authorization.k8s.io "${name}" already exists`, {status: 409});
			const created = {...clone(role), metadata: {...clone(role.metadata), uid: `uid-${name}-${this.revision}`}};
			if (dryRun) return created;
			this.clusterRoles.push(this.stamp(created));
			return clone(created);
		});
	}

	createClusterRoleBinding(binding: V1ClusterRoleBinding, dryRun: boolean): Promise<V1ClusterRoleBinding> {
		const name = binding.metadata?.name ?? '';
		return this.call('createClusterRoleBinding', [binding, dryRun], `create ClusterRoleBinding ${name}`, () => {
			if (this.bindings.some(b => b.metadata?.name === name)) throw new MultusError('Conflict', `cannot create ClusterRoleBinding ${name}: clusterrolebindings.rbac.authorization.k8s.io "${name}" already exists`, {status: 409});
			const created = {...clone(binding), metadata: {...clone(binding.metadata), uid: `uid-${name}-${this.revision}`}};
			if (dryRun) return created;
			this.bindings.push(this.stamp(created));
			return clone(created);
		});
	}

	deleteClusterRole(name: string, precondition: Precondition, dryRun: boolean): Promise<void> {
		return this.call('deleteClusterRole', [name, precondition, dryRun], `delete ClusterRole ${name}`, () => {
			const left = this.deleted(this.clusterRoles, 'ClusterRole', name, precondition);
			if (!dryRun) this.clusterRoles = left;
		});
	}

	deleteClusterRoleBinding(name: string, precondition: Precondition, dryRun: boolean): Promise<void> {
		return this.call('deleteClusterRoleBinding', [name, precondition, dryRun], `delete ClusterRoleBinding ${name}`, () => {
			const left = this.deleted(this.bindings, 'ClusterRoleBinding', name, precondition);
			if (!dryRun) this.bindings = left;
		});
	}

	/** `objects` without the one named, if it still matches the precondition (as the apiserver's delete checks it). */
	private deleted<T extends {metadata?: {name?: string; uid?: string; resourceVersion?: string}}>(objects: T[], kind: string, name: string, precondition: Precondition): T[] {
		const object = objects.find(o => o.metadata?.name === name);
		if (!object) throw new MultusError('NotFound', `cannot delete ${kind} ${name}: not found`, {status: 404});
		if ((precondition.uid && precondition.uid !== object.metadata?.uid) || (precondition.resourceVersion && precondition.resourceVersion !== object.metadata?.resourceVersion)) {
			throw new MultusError('Conflict', `cannot delete ${kind} ${name}: the precondition failed (it changed since it was read)`, {status: 409});
		}
		return objects.filter(o => o !== object);
	}

	restartDaemonSet(namespace: string, name: string, restartedAt: string, dryRun: boolean): Promise<V1DaemonSet> {
		return this.call('restartDaemonSet', [namespace, name, restartedAt, dryRun], `restart DaemonSet ${namespace}/${name}`, () => {
			const ds = this.daemonSet(namespace, name);
			if (!ds) throw new MultusError('NotFound', `cannot restart DaemonSet ${namespace}/${name}: not found`, {status: 404});
			if (dryRun) return clone(ds);
			const template = ds.spec!.template;
			const annotations = template.metadata?.annotations ?? {};
			if (annotations[restartedAtAnnotation] === restartedAt) return clone(ds);
			template.metadata = {...template.metadata, annotations: {...annotations, [restartedAtAnnotation]: restartedAt}};
			const templateGeneration = Number(ds.metadata?.annotations?.['deprecated.daemonset.template.generation'] ?? ds.metadata?.generation ?? 1) + 1;
			ds.metadata = {
				...ds.metadata,
				generation: (ds.metadata?.generation ?? 1) + 1,
				annotations: {...ds.metadata?.annotations, 'deprecated.daemonset.template.generation': String(templateGeneration)},
			};
			this.stamp(ds);
			this.emit('MODIFIED', ds);
			// The controller acts after the write was answered, as the real one does.
			setImmediate(() => this.reconcile(ds, String(templateGeneration)));
			return clone(ds);
		});
	}

	/** The DaemonSet controller's answer to a new pod template (see Controller). */
	private reconcile(ds: V1DaemonSet, generation: string): void {
		if (this.controller === 'none' || (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
		const ns = ds.metadata?.namespace;
		const selector = Object.entries(ds.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
		const old = this.pods.filter(pod => pod.metadata?.namespace === ns && matchesSelector(pod.metadata?.labels, selector));
		const nodes = old.map(pod => pod.spec?.nodeName ?? '').sort();
		const account = ds.spec?.template.spec?.serviceAccountName ?? 'default';
		if (this.missingServiceAccounts.has(`${ns}/${account}`)) {
			// As the real controller: the first old pod goes (maxUnavailable 1), its replacement cannot be created.
			const first = nodes[0];
			this.pods = this.pods.filter(pod => !(old.includes(pod) && pod.spec?.nodeName === first));
			this.events.push({
				metadata: {namespace: ns, name: `${ds.metadata?.name}.failed`}, involvedObject: {kind: 'DaemonSet', name: ds.metadata?.name, namespace: ns, uid: ds.metadata?.uid},
				reason: 'FailedCreate', type: 'Warning', count: 3, lastTimestamp: new Date(),
				message: `Error creating: pods "${ds.metadata?.name}-" is forbidden: error looking up service account ${ns}/${account}: serviceaccount "${account}" not found`,
			});
			this.updateDaemonSet(ds, d => {
				d.status = {...d.status!, observedGeneration: d.metadata?.generation, updatedNumberScheduled: 0, currentNumberScheduled: nodes.length - 1, numberAvailable: nodes.length - 1, numberReady: nodes.length - 1, numberUnavailable: 1};
			});
			return;
		}
		if (this.controller === 'between') {
			const first = nodes[0];
			this.pods = this.pods.filter(pod => !(old.includes(pod) && pod.spec?.nodeName === first));
			this.updateDaemonSet(ds, d => {
				d.status = {...d.status!, observedGeneration: d.metadata?.generation, updatedNumberScheduled: 0, currentNumberScheduled: nodes.length - 1, numberAvailable: nodes.length - 1, numberReady: nodes.length - 1, numberUnavailable: 1};
			});
			return;
		}
		if (this.controller === 'stuck') {
			const first = nodes[0];
			if (first) {
				this.pods = this.pods.filter(pod => !(old.includes(pod) && pod.spec?.nodeName === first));
				this.addPod(daemonPod(ds, first, generation, false), this.newPodLog ?? this.daemonLog(ds));
			}
			this.updateDaemonSet(ds, d => {
				d.status = {...d.status!, observedGeneration: d.metadata?.generation, updatedNumberScheduled: first ? 1 : 0, numberAvailable: Math.max(0, nodes.length - 1), numberReady: Math.max(0, nodes.length - 1)};
			});
			return;
		}
		this.pods = this.pods.filter(pod => !old.includes(pod));
		for (const node of nodes) this.addPod(daemonPod(ds, node, generation), this.newPodLog ?? this.daemonLog(ds));
		this.updateDaemonSet(ds, d => {
			d.status = {...d.status!, observedGeneration: d.metadata?.generation, desiredNumberScheduled: nodes.length, currentNumberScheduled: nodes.length, updatedNumberScheduled: nodes.length, numberAvailable: nodes.length, numberReady: nodes.length, numberMisscheduled: 0};
		});
	}

	watch<T>(
		path: string,
		query: Record<string, string | number | boolean | undefined>,
		onEvent: (event: WatchEvent<T>) => void,
		onEnd: (error: MultusError | undefined) => void,
	): Promise<{abort: () => void}> {
		return this.call('watch', [path, query], `watch ${path}`, () => {
			const match = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/daemonsets$/.exec(path);
			if (!match) throw new Error(`fake cluster: watch of ${path} not supported`);
			const name = /^metadata\.name=(.+)$/.exec(String(query['fieldSelector'] ?? ''))?.[1];
			const watcher: Watcher = {namespace: match[1]!, name, onEvent: onEvent as Watcher['onEvent'], onEnd, ended: false};
			const from = Number(query['resourceVersion'] ?? 0);
			if (from && from < this.compactedBelow) {
				setImmediate(() => onEnd(new MultusError('Gone', `too old resource version: ${from} (${this.compactedBelow})`, {status: 410})));
				return {abort: () => {}};
			}
			this.watchers.push(watcher);
			// Changes made after `from` and before the watch started arrive first, as the watch cache replays them.
			const missed = this.daemonSets.filter(ds => ds.metadata?.namespace === watcher.namespace && (!name || ds.metadata?.name === name) && Number(ds.metadata?.resourceVersion) > from);
			const gone = this.tombstones.filter(ds => ds.metadata?.namespace === watcher.namespace && (!name || ds.metadata?.name === name) && Number(ds.metadata?.resourceVersion) > from);
			if (from) {
				for (const ds of missed) setImmediate(() => !watcher.ended && watcher.onEvent({type: 'MODIFIED', object: clone(ds)}));
				for (const ds of gone) setImmediate(() => !watcher.ended && watcher.onEvent({type: 'DELETED', object: clone(ds)}));
			}
			return {
				abort: () => {
					watcher.ended = true;
				},
			};
		});
	}
}

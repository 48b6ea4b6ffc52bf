import {
	ApiException,
	AppsV1Api,
	HttpMethod,
	IsomorphicFetchHttpLibrary,
	PatchStrategy,
	RequestContext,
	RbacAuthorizationV1Api,
	Watch,
	setHeaderOptions,
	type KubeConfig,
	type V1ClusterRole,
	type V1ClusterRoleBinding,
	type V1RoleBinding,
	type CoreV1Event,
	type V1ConfigMap,
	type V1ServiceAccount,
	type V1DaemonSet,
	type V1Pod,
	type V1ResourceAttributes,
	type V1SelfSubjectAccessReview,
	type V1SubjectAccessReview,
} from '@kubernetes/client-node';
import type {Dispatcher} from 'undici';
import {MultusError} from '../errors.js';
import type {ConnectionOptions} from '../options.js';
import {loadKubeConfig, type ConnectionInfo} from './config.js';
import {toMultusError} from './errors.js';
import {versionInfo} from '../version.js';

export const fieldManager = 'kubectl-multus';

/** What the API server's audit log shows for the doctor's reads: `kubectl-multus/0.1.0 (commit)`, as kubectl names itself. */
function userAgent(): string {
	const {version, commit} = versionInfo();
	return `kubectl-multus/${version} (${commit})`;
}

import type {JsonPatchOperation} from '../multus/rbac.js';
import {afterLogRead, startNewestLogSearch} from '../multus/log-sample.js';

/** Answer of an access review: allowed, and the authorizer's reason when there is one. */
export interface AccessAnswer {
	allowed: boolean;
	reason: string | undefined;
}

function isStatusObject(body: unknown): boolean {
	try {
		const value: unknown = typeof body === 'string' ? JSON.parse(body) : body;
		return typeof value === 'object' && value !== null && (value as {kind?: unknown}).kind === 'Status';
	} catch {
		return false;
	}
}

/** An HTTP answer as it came: status, headers (lower-case names), body text. */
interface Answer {
	status: number;
	headers: Record<string, string>;
	text: string;
}

type Query = Record<string, string | number | boolean | undefined>;

/** A non-2xx answer as client-node's generated code throws it: 401 without a body, any other with its body. */
function apiException(answer: Answer): ApiException<unknown> {
	if (answer.status === 401) return new ApiException(401, 'Unauthorized', undefined, answer.headers);
	// The Status object when it is JSON, else the text itself (a proxy's page): toMultusError reads either.
	let body: unknown = answer.text;
	try {
		body = JSON.parse(answer.text);
	} catch {
		// Not JSON.
	}
	return new ApiException(answer.status, 'Unknown API Status Code!', body, answer.headers);
}

/** `Application/JSON; charset=utf-8` -> `application/json`; '' without a content type. */
function mediaType(contentType: string | undefined): string {
	return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** application/json and its kin (application/merge-patch+json, ...), as client-node tells JSON. */
function isJsonMediaType(type: string): boolean {
	const [kind, subtype = ''] = type.split('/');
	return kind === 'application' && subtype.split('+').includes('json');
}

export type WatchEvent<T> = {type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T};

/** A list page of pods: the items, the list's resourceVersion, and the token of the next page. */
export interface PodPage {
	items: V1Pod[];
	resourceVersion: string | undefined;
	continueToken: string | undefined;
}

/**
 * What the doctor asks the cluster, and nothing else: read, list, patch objects, access reviews, logs, watches.
 * KubeClient implements it over client-node; tests use an in-memory cluster (test/helpers/fake-cluster.ts).
 * Every failure is a MultusError with a kind.
 */
export interface KubeApi {
	/** GET /version; also proves that the server speaks Kubernetes. */
	serverVersion(): Promise<string>;
	listDaemonSets(namespace: string | undefined): Promise<V1DaemonSet[]>;
	/** One DaemonSet as a list of one, with the list's resourceVersion (to watch from after a 410). */
	listDaemonSetByName(namespace: string, name: string): Promise<{daemonSet: V1DaemonSet | undefined; resourceVersion: string | undefined}>;
	readDaemonSet(namespace: string, name: string): Promise<V1DaemonSet>;
	namespaceExists(name: string): Promise<boolean>;
	listClusterRoleBindings(): Promise<V1ClusterRoleBinding[]>;
	readClusterRole(name: string): Promise<V1ClusterRole>;
	listClusterRoles(labelSelector?: string): Promise<V1ClusterRole[]>;
	readConfigMap(namespace: string, name: string): Promise<V1ConfigMap>;
	/** The ServiceAccount a DaemonSet's pods run as (a restart cannot create pods without it). */
	readServiceAccount(namespace: string, name: string): Promise<V1ServiceAccount>;
	/** Events in a namespace by field selector (involvedObject.*, reason), as `kubectl get events` lists them. */
	listEvents(namespace: string, fieldSelector: string): Promise<CoreV1Event[]>;
	/** Pods by label selector in one namespace, at most `limit` when given. */
	listPods(namespace: string, labelSelector: string, limit?: number, page?: {fieldSelector?: string; continueToken?: string}): Promise<PodPage>;
	/** The newest whole lines of a container's log that fit in `limitBytes` (bounded reads, no follow). */
	readPodLog(namespace: string, name: string, container: string, limitBytes: number, sinceTime?: Date): Promise<string>;
	/** SubjectAccessReview: may this user (with these groups) do this? */
	subjectAccess(user: string, groups: string[], attributes: V1ResourceAttributes): Promise<AccessAnswer>;
	/** SelfSubjectAccessReview: may the caller do this? */
	selfAccess(attributes: V1ResourceAttributes): Promise<AccessAnswer>;
	/** SelfSubjectReview (`kubectl auth whoami`): who the API server takes the caller for. */
	whoAmI(): Promise<{username: string; groups: string[]}>;
	/** RFC 6902 JSON patch of a ClusterRole; a failed `test` of the resourceVersion is a Conflict. */
	patchClusterRole(name: string, operations: JsonPatchOperation[], dryRun: boolean): Promise<V1ClusterRole>;
	/** Every RoleBinding in every namespace (who a ClusterRole reaches through them). */
	listRoleBindings(): Promise<V1RoleBinding[]>;
	readClusterRoleBinding(name: string): Promise<V1ClusterRoleBinding>;
	/** Creates a ClusterRole; one that exists already is a Conflict. */
	createClusterRole(role: V1ClusterRole, dryRun: boolean): Promise<V1ClusterRole>;
	/** Creates a ClusterRoleBinding; one that exists already is a Conflict. */
	createClusterRoleBinding(binding: V1ClusterRoleBinding, dryRun: boolean): Promise<V1ClusterRoleBinding>;
	/** Deletes a ClusterRole only if it is still the object read (uid and resourceVersion preconditions); dryRun: checked, not stored. */
	deleteClusterRole(name: string, precondition: Precondition, dryRun: boolean): Promise<void>;
	/** Deletes a ClusterRoleBinding only if it is still the object read (uid and resourceVersion preconditions); dryRun: checked, not stored. */
	deleteClusterRoleBinding(name: string, precondition: Precondition, dryRun: boolean): Promise<void>;
	/** `kubectl rollout restart`: the pod template's restartedAt annotation set to `restartedAt`. */
	restartDaemonSet(namespace: string, name: string, restartedAt: string, dryRun: boolean): Promise<V1DaemonSet>;
	/**
	 * Starts a watch; resolves once connected. `onEvent` gets each event, `onEnd` why the stream ended (undefined
	 * for a clean close, a MultusError otherwise: Gone for 410). The caller decides whether to resume.
	 */
	watch<T>(
		path: string,
		query: Record<string, string | number | boolean | undefined>,
		onEvent: (event: WatchEvent<T>) => void,
		onEnd: (error: MultusError | undefined) => void,
	): Promise<{abort: () => void}>;
}

/** What a delete must still find: the object as it was read (a change or a re-creation in between makes it fail). */
export interface Precondition {
	uid: string | undefined;
	resourceVersion: string | undefined;
}

/** The pod-template annotation `kubectl rollout restart` sets; changing it replaces every pod. */
export const restartedAtAnnotation = 'kubectl.kubernetes.io/restartedAt';

/**
 * The thin Kubernetes layer: one method per API call the doctor makes, each mapping failures to a MultusError
 * once. Nothing here decides anything.
 */
export class KubeClient implements KubeApi {
	readonly server: string;
	/** The server's URL without a trailing slash: every path follows it. */
	private readonly base: string;
	private readonly userAgent = userAgent();
	private readonly http = new IsomorphicFetchHttpLibrary();
	// client-node's typed APIs, for the writes only: made when the first write needs one.
	private appsApi: AppsV1Api | undefined;
	private rbacApi: RbacAuthorizationV1Api | undefined;

	constructor(readonly kc: KubeConfig) {
		this.server = kc.getCurrentCluster()?.server ?? '';
		this.base = this.server.replace(/\/+$/, '');
	}

	private get apps(): AppsV1Api {
		return (this.appsApi ??= this.kc.makeApiClient(AppsV1Api));
	}

	private get rbac(): RbacAuthorizationV1Api {
		return (this.rbacApi ??= this.kc.makeApiClient(RbacAuthorizationV1Api));
	}

	/**
	 * A request on the same credentials, impersonation, timeout and connection pool as every other request
	 * (kc.applySecurityAuthentication), without client-node's typed API: its (de)serialization cost more CPU than
	 * anything else a run did (RBAC lists are ~100 KB each, and access reviews many: in a fleet of 20 contexts it was a
	 * quarter of the CPU), and its fetch path much of the rest. The answer as it came: status, headers, text.
	 */
	private async request(method: 'GET' | 'POST', path: string, query: Query, body: unknown, accept: string): Promise<Answer> {
		const context = new RequestContext(this.base + path, method === 'GET' ? HttpMethod.GET : HttpMethod.POST);
		for (const name in query) {
			const value = query[name];
			if (value !== undefined) context.setQueryParam(name, String(value));
		}
		context.setHeaderParam('Accept', accept);
		if (body !== undefined) {
			context.setHeaderParam('Content-Type', 'application/json');
			context.setBody(JSON.stringify(body));
		}
		context.setHeaderParam('User-Agent', this.userAgent);
		await this.kc.applySecurityAuthentication(context);
		return this.send(context);
	}

	/** The text of a 2xx answer; any other status thrown as client-node's generated code throws it (toMultusError reads it). */
	private async text(method: 'GET' | 'POST', path: string, query: Query = {}, body?: unknown, accept = 'application/json'): Promise<string> {
		const answer = await this.request(method, path, query, body, accept);
		if (answer.status < 200 || answer.status > 299) throw apiException(answer);
		return answer.text;
	}

	/** The JSON the server sent, as it sent it: wire field names (`metadata.continue`), timestamps as strings. */
	private async json<T>(method: 'GET' | 'POST', path: string, query: Query = {}, body?: unknown): Promise<T> {
		return JSON.parse(await this.text(method, path, query, body)) as T;
	}

	/**
	 * Sends a prepared request on the connection pool its credentials chose (client-node's undici Agent, proxy or
	 * SOCKS agent: every TLS and proxy option of the kubeconfig), with undici's lowest API, `dispatch`, and the body
	 * gathered as it comes. client-node's `fetch` cost about 1.5 times the CPU per access review (Headers, streams,
	 * the fetch algorithm), undici's `request` still 1.3 times this (a body stream and an async resource per
	 * request), and a fleet sends hundreds. Without a pool of our own (no TLS material and no --request-timeout),
	 * client-node's fetch sends it.
	 */
	private async send(context: RequestContext): Promise<Answer> {
		const dispatcher = context.getDispatcher();
		if (!dispatcher) {
			const response = await this.http.send(context).toPromise();
			return {status: response.httpStatusCode, headers: response.headers, text: await response.body.text()};
		}
		const url = new URL(context.getUrl());
		const body = context.getBody();
		const signal = context.getSignal();
		return new Promise<Answer>((resolve, reject) => {
			if (signal?.aborted) {
				reject(signal.reason);
				return;
			}
			let reason: Error | undefined;
			let controller: Dispatcher.DispatchController | undefined;
			let status = 0;
			let headers: Record<string, string> = {};
			const chunks: Buffer[] = [];
			// Settled at once: a request that still waits for its connection has no controller to abort yet (it is
			// aborted when it starts; the connection attempt is bounded by --request-timeout, kube/config.ts).
			const onAbort = () => {
				reason = signal!.reason as Error;
				controller?.abort(reason);
				reject(reason);
			};
			signal?.addEventListener('abort', onAbort, {once: true});
			const settled = () => signal?.removeEventListener('abort', onAbort);
			dispatcher.dispatch({
				origin: url.origin,
				path: url.pathname + url.search,
				method: context.getHttpMethod() === HttpMethod.GET ? 'GET' : 'POST',
				headers: context.getHeaders(),
				body: typeof body === 'string' ? body : null,
			}, {
				onRequestStart: started => {
					if (reason) started.abort(reason);
					else controller = started;
				},
				onResponseStart: (_controller, statusCode, responseHeaders) => {
					status = statusCode;
					headers = {};
					for (const name in responseHeaders) {
						const value = responseHeaders[name];
						if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
					}
				},
				onResponseData: (_controller, chunk) => {
					chunks.push(chunk);
				},
				onResponseEnd: () => {
					settled();
					resolve({status, headers, text: Buffer.concat(chunks).toString('utf8')});
				},
				onResponseError: (_controller, error) => {
					settled();
					reject(reason ?? error);
				},
			});
		});
	}

	private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
		try {
			return await run();
		} catch (error) {
			throw toMultusError(error, action, this.server);
		}
	}

	/** GET /version; also proves that the server speaks Kubernetes. */
	async serverVersion(): Promise<string> {
		const notKubernetes = (what: string) => new MultusError('NotKubernetes', `${this.server} is not a Kubernetes API server: it answered /version ${what}`, {
			hint: 'the kubeconfig points at something else (a web server, a proxy, the wrong port); check the cluster URL (kubectl cluster-info)',
		});
		let answer: Answer;
		try {
			answer = await this.call('read the server version', async () => {
				const sent = await this.request('GET', '/version', {}, undefined, 'application/json, */*;q=0.8');
				if (sent.status < 200 || sent.status > 299) throw apiException(sent);
				return sent;
			});
		} catch (error) {
			// An API server always serves /version, and answers errors (401, 403) with a JSON Status; a 404, or another
			// error below 500 that is not JSON (an HTML page), comes from something that is not Kubernetes.
			const cause = error instanceof MultusError ? (error.cause as {body?: unknown; headers?: Record<string, string>} | undefined) : undefined;
			const contentType = cause?.headers?.['content-type'] ?? '';
			const json = contentType.includes('json') || isStatusObject(cause?.body);
			if (error instanceof MultusError && error.status !== undefined && (error.status === 404 || (error.status < 500 && !json))) {
				throw notKubernetes(`with HTTP ${error.status}${json ? '' : ` (${contentType || 'no content type'})`}`);
			}
			if (error instanceof MultusError && error.kind === 'Unreachable' && /JSON|Unexpected token|parse/i.test(error.message)) throw notKubernetes('with something that is not JSON');
			throw error;
		}
		// Read as client-node's typed read took it: JSON by a JSON media type; a text type is text, which has no
		// version; anything else (or no type) cannot be read.
		const type = mediaType(answer.headers['content-type']);
		if (type.startsWith('text/')) throw notKubernetes('without a Kubernetes version');
		if (!isJsonMediaType(type)) throw notKubernetes('with something that is not JSON');
		let info: unknown;
		try {
			info = JSON.parse(answer.text);
		} catch {
			throw notKubernetes('with something that is not JSON');
		}
		const gitVersion = typeof info === 'object' && info !== null ? (info as {gitVersion?: unknown}).gitVersion : undefined;
		if (typeof gitVersion !== 'string') throw notKubernetes('without a Kubernetes version');
		return gitVersion;
	}

	listDaemonSets(namespace: string | undefined): Promise<V1DaemonSet[]> {
		return this.call(`list DaemonSets in ${namespace ? `namespace ${namespace}` : 'all namespaces'}`, async () =>
			(await this.json<{items: V1DaemonSet[]}>('GET', namespace ? `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets` : '/apis/apps/v1/daemonsets')).items,
		);
	}

	/**
	 * One DaemonSet as a list of one: the list's resourceVersion is the store's current one, so a watch from it
	 * starts now (the object's own may already be compacted away, and a watch from it would get 410 again).
	 */
	listDaemonSetByName(namespace: string, name: string): Promise<{daemonSet: V1DaemonSet | undefined; resourceVersion: string | undefined}> {
		return this.call(`read DaemonSet ${namespace}/${name}`, async () => {
			const list = await this.json<{items: V1DaemonSet[]; metadata?: {resourceVersion?: string}}>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets`, {fieldSelector: `metadata.name=${name}`});
			return {daemonSet: list.items[0], resourceVersion: list.metadata?.resourceVersion};
		});
	}

	readDaemonSet(namespace: string, name: string): Promise<V1DaemonSet> {
		return this.call(`read DaemonSet ${namespace}/${name}`, () => this.json<V1DaemonSet>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets/${encodeURIComponent(name)}`));
	}

	async namespaceExists(name: string): Promise<boolean> {
		try {
			await this.call(`read namespace ${name}`, () => this.text('GET', `/api/v1/namespaces/${encodeURIComponent(name)}`));
			return true;
		} catch (error) {
			if (error instanceof MultusError && error.kind === 'NotFound') return false;
			throw error;
		}
	}

	listClusterRoleBindings(): Promise<V1ClusterRoleBinding[]> {
		return this.call('list ClusterRoleBindings', async () => (await this.json<{items: V1ClusterRoleBinding[]}>('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings')).items);
	}

	readClusterRole(name: string): Promise<V1ClusterRole> {
		return this.call(`read ClusterRole ${name}`, () => this.json<V1ClusterRole>('GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(name)}`));
	}

	listClusterRoles(labelSelector?: string): Promise<V1ClusterRole[]> {
		return this.call('list ClusterRoles', async () => (await this.json<{items: V1ClusterRole[]}>('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {labelSelector})).items);
	}

	readConfigMap(namespace: string, name: string): Promise<V1ConfigMap> {
		return this.call(`read ConfigMap ${namespace}/${name}`, () => this.json<V1ConfigMap>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`));
	}

	readServiceAccount(namespace: string, name: string): Promise<V1ServiceAccount> {
		return this.call(`read ServiceAccount ${namespace}/${name}`, () => this.json<V1ServiceAccount>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`));
	}

	listEvents(namespace: string, fieldSelector: string): Promise<CoreV1Event[]> {
		return this.call(`list events (${fieldSelector}) in ${namespace}`, async () => (await this.json<{items: CoreV1Event[]}>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {fieldSelector})).items);
	}

	/** Pods of a DaemonSet by its selector, in its namespace only, at most `limit` when given. */
	listPods(
		namespace: string,
		labelSelector: string,
		limit?: number,
		page: {fieldSelector?: string; continueToken?: string} = {},
	): Promise<PodPage> {
		return this.call(`list pods ${labelSelector}${page.fieldSelector ? ` (${page.fieldSelector})` : ''} in ${namespace}`, async () => {
			const list = await this.json<{items: V1Pod[]; metadata?: {resourceVersion?: string; continue?: string}}>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, {
				labelSelector,
				limit: limit || undefined,
				fieldSelector: page.fieldSelector || undefined,
				continue: page.continueToken || undefined,
			});
			return {
				items: list.items,
				resourceVersion: list.metadata?.resourceVersion,
				continueToken: list.metadata?.continue || undefined,
			};
		});
	}

	/**
	 * The newest whole lines of a container's log that fit in `limitBytes` (bounded reads, no follow): tailLines with
	 * limitBytes, the line count searched by multus/log-sample.ts (limitBytes alone keeps the oldest bytes).
	 */
	readPodLog(namespace: string, name: string, container: string, limitBytes: number, sinceTime?: Date): Promise<string> {
		return this.call(`read the log of pod ${namespace}/${name}`, async () => {
			const since = sinceTime ? {sinceSeconds: Math.max(1, Math.ceil((Date.now() - sinceTime.getTime()) / 1000))} : {};
			for (let search = startNewestLogSearch(limitBytes); ; ) {
				// The bytes as sent, whatever the content type says (kubectl logs copies them too).
				const text = await this.text('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`, {container, limitBytes, tailLines: search.tailLines, timestamps: true, ...since}, undefined, 'application/json, */*;q=0.8');
				const step = afterLogRead(search, text);
				if (step.done) return step.text;
				search = step.search;
			}
		});
	}

	/** SubjectAccessReview: may this user (with these groups) do this? */
	async subjectAccess(user: string, groups: string[], attributes: V1ResourceAttributes): Promise<AccessAnswer> {
		const review = await this.call('create a SubjectAccessReview', () =>
			this.json<V1SubjectAccessReview>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {}, {
				apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: {user, groups, resourceAttributes: attributes},
			}),
		);
		return {allowed: review.status?.allowed === true, reason: review.status?.reason || review.status?.evaluationError || undefined};
	}

	/** SelfSubjectAccessReview: may the caller do this? */
	async selfAccess(attributes: V1ResourceAttributes): Promise<AccessAnswer> {
		const review = await this.call('create a SelfSubjectAccessReview', () =>
			this.json<V1SelfSubjectAccessReview>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {}, {
				apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {resourceAttributes: attributes},
			}),
		);
		return {allowed: review.status?.allowed === true, reason: review.status?.reason || undefined};
	}

	async whoAmI(): Promise<{username: string; groups: string[]}> {
		const review = await this.call('create a SelfSubjectReview', () =>
			this.json<{status?: {userInfo?: {username?: string; groups?: string[]}}}>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, {
				apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
			}),
		);
		return {username: review.status?.userInfo?.username ?? '', groups: review.status?.userInfo?.groups ?? []};
	}

	/** RFC 6902 JSON patch of a ClusterRole; `test` operations make it fail with Conflict when the role changed. */
	async patchClusterRole(name: string, operations: JsonPatchOperation[], dryRun: boolean): Promise<V1ClusterRole> {
		try {
			return await this.call(`patch ClusterRole ${name}${dryRun ? ' (server-side dry run)' : ''}`, () =>
				this.rbac.patchClusterRole(
					{name, body: operations, fieldManager, ...(dryRun ? {dryRun: 'All'} : {})},
					setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
				),
			);
		} catch (error) {
			// A failed `test` operation comes back as a bare 422 Invalid ("the server rejected our request due to an
			// error in our request"), like a malformed patch: the role's resourceVersion tells the two apart.
			const guard = operations.find(op => op.op === 'test' && op.path === '/metadata/resourceVersion');
			const tested = guard && 'value' in guard ? guard.value : undefined;
			if (!(error instanceof MultusError) || error.kind !== 'Invalid' || typeof tested !== 'string') throw error;
			const now = (await this.readClusterRole(name)).metadata?.resourceVersion;
			if (now === tested) throw error;
			throw new MultusError('Conflict', `ClusterRole ${name} changed since it was read (resourceVersion ${tested}, now ${now})`, {status: 409, cause: error});
		}
	}

	listRoleBindings(): Promise<V1RoleBinding[]> {
		return this.call('list RoleBindings in all namespaces', async () => (await this.json<{items: V1RoleBinding[]}>('GET', '/apis/rbac.authorization.k8s.io/v1/rolebindings')).items);
	}

	readClusterRoleBinding(name: string): Promise<V1ClusterRoleBinding> {
		return this.call(`read ClusterRoleBinding ${name}`, () => this.json<V1ClusterRoleBinding>('GET', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${encodeURIComponent(name)}`));
	}

	createClusterRole(role: V1ClusterRole, dryRun: boolean): Promise<V1ClusterRole> {
		return this.call(`create ClusterRole ${role.metadata?.name}${dryRun ? ' (server-side dry run)' : ''}`, () =>
			this.rbac.createClusterRole({body: role, fieldManager, ...(dryRun ? {dryRun: 'All'} : {})}),
		);
	}

	createClusterRoleBinding(binding: V1ClusterRoleBinding, dryRun: boolean): Promise<V1ClusterRoleBinding> {
		return this.call(`create ClusterRoleBinding ${binding.metadata?.name}${dryRun ? ' (server-side dry run)' : ''}`, () =>
			this.rbac.createClusterRoleBinding({body: binding, fieldManager, ...(dryRun ? {dryRun: 'All'} : {})}),
		);
	}

	async deleteClusterRole(name: string, precondition: Precondition, dryRun: boolean): Promise<void> {
		await this.call(`delete ClusterRole ${name}${dryRun ? ' (server-side dry run)' : ''}`, () => this.rbac.deleteClusterRole({name, body: {preconditions: precondition}, ...(dryRun ? {dryRun: 'All'} : {})}));
	}

	async deleteClusterRoleBinding(name: string, precondition: Precondition, dryRun: boolean): Promise<void> {
		await this.call(`delete ClusterRoleBinding ${name}${dryRun ? ' (server-side dry run)' : ''}`, () => this.rbac.deleteClusterRoleBinding({name, body: {preconditions: precondition}, ...(dryRun ? {dryRun: 'All'} : {})}));
	}

	/** What `kubectl rollout restart` sends: a strategic-merge patch of the pod template's restartedAt annotation. */
	restartDaemonSet(namespace: string, name: string, restartedAt: string, dryRun: boolean): Promise<V1DaemonSet> {
		const body = {spec: {template: {metadata: {annotations: {[restartedAtAnnotation]: restartedAt}}}}};
		return this.call(`restart DaemonSet ${namespace}/${name}${dryRun ? ' (server-side dry run)' : ''}`, () =>
			this.apps.patchNamespacedDaemonSet(
				{namespace, name, body, fieldManager, ...(dryRun ? {dryRun: 'All'} : {})},
				setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
			),
		);
	}

	/**
	 * Starts a watch; resolves once connected. `onEvent` gets each event, `onEnd` the reason the stream ended
	 * (undefined for a clean close, a MultusError otherwise: Gone for 410). The caller decides whether to resume.
	 */
	async watch<T>(
		path: string,
		query: Record<string, string | number | boolean | undefined>,
		onEvent: (event: WatchEvent<T>) => void,
		onEnd: (error: MultusError | undefined) => void,
	): Promise<{abort: () => void}> {
		const watcher = new Watch(this.kc);
		let ended = false;
		const controller = await watcher.watch(
			path,
			{...query, allowWatchBookmarks: true},
			(type: string, object: unknown) => {
				if (ended) return;
				if (type === 'ERROR') {
					const status = object as {code?: number; message?: string};
					ended = true;
					onEnd(new MultusError(status.code === 410 ? 'Gone' : 'Unreachable', status.message ?? 'watch error', {status: status.code ?? 500}));
					controller.abort();
					return;
				}
				onEvent({type: type as WatchEvent<T>['type'], object: object as T});
			},
			(error: unknown) => {
				if (ended) return;
				ended = true;
				if (!error || (error as {name?: string}).name === 'AbortError') onEnd(undefined);
				else onEnd(toMultusError(error, `watch ${path}`, this.server));
			},
		);
		return {
			abort: () => {
				ended = true;
				controller.abort();
			},
		};
	}
}

/** The client for kubectl's connection flags, and where it connects to (the Connect step's words). */
export function connectKube(connection: ConnectionOptions): {client: KubeApi; info: ConnectionInfo} {
	const {kc, info} = loadKubeConfig(connection);
	return {client: new KubeClient(kc), info};
}

// KubeClient against a loopback HTTP server that answers as an API server would (or as something that is not one):
// what goes out (path, query, headers: User-Agent, impersonation) and how every answer maps to a MultusError kind
// and message. The doctor's flow tests use the in-memory cluster; these hold the one layer that speaks HTTP.
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import net, {type AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {MultusError} from '../../../source/errors.js';
import {connectKube, type KubeApi} from '../../../source/kube/client.js';
import type {ConnectionOptions} from '../../../source/options.js';

interface Seen {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: http.IncomingHttpHeaders;
	body: string;
}

type Answer = {status: number; type?: string; body: string} | 'hang';
type Handler = (request: Seen) => Answer;

const dir = mkdtempSync(path.join(os.tmpdir(), 'kube-client-test-'));
let server: http.Server;
let url = '';
let handler: Handler = () => ({status: 500, body: ''});
const seen: Seen[] = [];

before(async () => {
	server = http.createServer((request, response) => {
		let body = '';
		request.on('data', chunk => (body += chunk));
		request.on('end', () => {
			const parsed = new URL(request.url ?? '/', 'http://x');
			const one: Seen = {method: request.method ?? '', path: parsed.pathname, query: parsed.searchParams, headers: request.headers, body};
			seen.push(one);
			const answer = handler(one);
			if (answer === 'hang') return;
			response.writeHead(answer.status, answer.type === undefined ? {} : {'content-type': answer.type});
			response.end(answer.body);
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
	server.closeAllConnections();
	await new Promise(resolve => server.close(resolve));
	rmSync(dir, {recursive: true, force: true});
});

let files = 0;
/** A client for a kubeconfig that points at the loopback server (plain http needs insecure-skip-tls-verify). */
function client(options: Partial<ConnectionOptions> = {}, handle?: Handler): KubeApi {
	if (handle) handler = handle;
	seen.length = 0;
	const file = path.join(dir, `kubeconfig-${files++}.json`);
	writeFileSync(file, JSON.stringify({
		apiVersion: 'v1',
		kind: 'Config',
		clusters: [{name: 'loopback', cluster: {server: url, 'insecure-skip-tls-verify': true}}],
		users: [{name: 'someone', user: {token: 'secret-token'}}],
		contexts: [{name: 'here', context: {cluster: 'loopback', user: 'someone'}}],
		'current-context': 'here',
	}));
	return connectKube({
		kubeconfig: file, context: undefined, cluster: undefined, user: undefined, namespace: undefined,
		as: undefined, asGroup: undefined, asUid: undefined, requestTimeoutMs: 30_000, ...options,
	}).client;
}

const json = (status: number, value: unknown): Answer => ({status, type: 'application/json', body: JSON.stringify(value)});
const status = (code: number, reason: string, message: string) => json(code, {kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code});
const html = (code: number): Answer => ({status: code, type: 'text/html', body: '<html><body>Not here</body></html>'});

async function failure(promise: Promise<unknown>): Promise<MultusError> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof MultusError, `a MultusError, got ${String(error)}`);
		return error;
	}
	assert.fail('it should have failed');
}

describe('KubeClient: the server version (and whether the server speaks Kubernetes)', () => {
	test('GET /version with the token and the User-Agent; the gitVersion', async () => {
		const kube = client({}, () => json(200, {major: '1', minor: '34', gitVersion: 'v1.34.1'}));
		assert.equal(await kube.serverVersion(), 'v1.34.1');
		assert.equal(seen.length, 1);
		assert.equal(seen[0]!.method, 'GET');
		assert.equal(seen[0]!.path, '/version');
		assert.equal(seen[0]!.headers.authorization, 'Bearer secret-token');
		assert.match(seen[0]!.headers['user-agent'] ?? '', /^kubectl-multus\/\d+\.\d+\.\d+ \(/);
		assert.match(seen[0]!.headers.accept ?? '', /application\/json/);
	});

	test('--as, --as-group, --as-uid go out as impersonation headers', async () => {
		const kube = client({as: 'jane', asGroup: 'tenants', asUid: '1234'}, () => json(200, {gitVersion: 'v1.34.1'}));
		await kube.serverVersion();
		assert.equal(seen[0]!.headers['impersonate-user'], 'jane');
		assert.equal(seen[0]!.headers['impersonate-group'], 'tenants');
		assert.equal(seen[0]!.headers['impersonate-uid'], '1234');
	});

	test('a 404 page is not Kubernetes, with its content type', async () => {
		const error = await failure(client({}, () => html(404)).serverVersion());
		assert.equal(error.kind, 'NotKubernetes');
		assert.equal(error.message, `${url} is not a Kubernetes API server: it answered /version with HTTP 404 (text/html)`);
		assert.match(error.hint ?? '', /check the cluster URL/);
	});

	test('a 404 with a Status body is not Kubernetes either (an API server always serves /version)', async () => {
		const error = await failure(client({}, () => status(404, 'NotFound', 'the server could not find the requested resource')).serverVersion());
		assert.equal(error.kind, 'NotKubernetes');
		assert.equal(error.message, `${url} is not a Kubernetes API server: it answered /version with HTTP 404`);
	});

	test('an error below 500 that is not JSON is not Kubernetes; one without a content type says so', async () => {
		const plain = await failure(client({}, () => ({status: 400, type: 'text/plain', body: 'Client sent an HTTP request to an HTTPS server.'})).serverVersion());
		assert.equal(plain.kind, 'NotKubernetes');
		assert.equal(plain.message, `${url} is not a Kubernetes API server: it answered /version with HTTP 400 (text/plain)`);
		const bare = await failure(client({}, () => ({status: 403, body: 'go away'})).serverVersion());
		assert.equal(bare.kind, 'NotKubernetes');
		assert.equal(bare.message, `${url} is not a Kubernetes API server: it answered /version with HTTP 403 (no content type)`);
	});

	test('a Status body without a JSON content type is still Kubernetes: its own error', async () => {
		const error = await failure(client({}, () => ({status: 403, body: JSON.stringify({kind: 'Status', message: 'forbidden: User "jane" cannot get path "/version/"', code: 403})})).serverVersion());
		assert.equal(error.kind, 'Forbidden');
		assert.equal(error.message, 'cannot read the server version: forbidden: User "jane" cannot get path "/version/"');
		assert.equal(error.status, 403);
	});

	test('401 is Unauthorized with the refresh hint, 403 Forbidden with the server\'s message', async () => {
		const unauthorized = await failure(client({}, () => status(401, 'Unauthorized', 'Unauthorized')).serverVersion());
		assert.equal(unauthorized.kind, 'Unauthorized');
		assert.equal(unauthorized.message, 'cannot read the server version: Unauthorized');
		assert.match(unauthorized.hint ?? '', /refresh them/);
		const forbidden = await failure(client({}, () => status(403, 'Forbidden', 'forbidden: no /version for you')).serverVersion());
		assert.equal(forbidden.kind, 'Forbidden');
		assert.equal(forbidden.message, 'cannot read the server version: forbidden: no /version for you');
	});

	test('500 and above are the server being unwell, not "not Kubernetes", page or not', async () => {
		const page = await failure(client({}, () => html(502)).serverVersion());
		assert.equal(page.kind, 'Unreachable');
		assert.equal(page.status, 502);
		assert.equal(page.message, 'cannot read the server version: <html><body>Not here</body></html>');
		const unavailable = await failure(client({}, () => status(503, 'ServiceUnavailable', 'the server is shutting down')).serverVersion());
		assert.equal(unavailable.kind, 'Unreachable');
		assert.equal(unavailable.message, 'cannot read the server version: the server is shutting down');
	});

	test('200 with a page, with JSON that has no gitVersion, or with null: "without a Kubernetes version"', async () => {
		for (const answer of [html(200), json(200, {major: '1'}), json(200, {gitVersion: 134}), json(200, null), json(200, ['v1.34.1']), {status: 200, type: 'text/plain', body: 'v1.34.1'}]) {
			const error = await failure(client({}, () => answer).serverVersion());
			assert.equal(error.kind, 'NotKubernetes', JSON.stringify(answer));
			assert.equal(error.message, `${url} is not a Kubernetes API server: it answered /version without a Kubernetes version`);
		}
	});

	test('200 with broken JSON, no content type, or a binary type: "with something that is not JSON"', async () => {
		for (const answer of [{status: 200, type: 'application/json', body: '{"gitVersion": "v1.'}, {status: 200, body: '{"gitVersion": "v1.34.1"}'}, {status: 200, type: 'application/octet-stream', body: 'xx'}]) {
			const error = await failure(client({}, () => answer).serverVersion());
			assert.equal(error.kind, 'NotKubernetes', JSON.stringify(answer));
			assert.equal(error.message, `${url} is not a Kubernetes API server: it answered /version with something that is not JSON`);
		}
	});

	test('no answer within --request-timeout is a Timeout naming the server', async () => {
		const started = Date.now();
		const error = await failure(client({requestTimeoutMs: 300}, () => 'hang').serverVersion());
		assert.equal(error.kind, 'Timeout');
		assert.equal(error.message, `cannot read the server version: no answer from the API server at ${url} in time`);
		assert.ok(Date.now() - started < 5000, 'bounded by the timeout');
	});

	test('a server that takes the connection and never speaks TLS: a Timeout within --request-timeout, not a hang', async () => {
		const silent = net.createServer(() => undefined);
		await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
		const file = path.join(dir, 'silent.json');
		writeFileSync(file, JSON.stringify({
			apiVersion: 'v1', kind: 'Config',
			clusters: [{name: 'silent', cluster: {server: `https://127.0.0.1:${(silent.address() as AddressInfo).port}`, 'insecure-skip-tls-verify': true}}],
			users: [{name: 'someone', user: {token: 'secret-token'}}],
			contexts: [{name: 'here', context: {cluster: 'silent', user: 'someone'}}],
			'current-context': 'here',
		}));
		try {
			const started = Date.now();
			const kube = connectKube({kubeconfig: file, context: undefined, cluster: undefined, user: undefined, namespace: undefined, as: undefined, asGroup: undefined, asUid: undefined, requestTimeoutMs: 300}).client;
			const error = await failure(kube.listClusterRoles());
			assert.equal(error.kind, 'Timeout', error.message);
			assert.ok(Date.now() - started < 3000, `bounded by the timeout (${Date.now() - started} ms)`);
		} finally {
			silent.close();
		}
	});
});

describe('KubeClient: reads', () => {
	const notFound = () => status(404, 'NotFound', 'the thing was not found');

	test('a log: GET .../log with container, limitBytes, tailLines, timestamps; the text as sent', async () => {
		const text = '2026-12-01T10:00:00.000000000Z first line\n2026-12-01T10:00:01.000000000Z second line\n';
		const kube = client({}, () => ({status: 200, type: 'text/plain', body: text}));
		assert.equal(await kube.readPodLog('kube-system', 'kube-multus-ds-abc', 'kube-multus', 1 << 20), text);
		const request = seen.at(-1)!;
		assert.equal(request.path, '/api/v1/namespaces/kube-system/pods/kube-multus-ds-abc/log');
		assert.equal(request.query.get('container'), 'kube-multus');
		assert.equal(request.query.get('limitBytes'), String(1 << 20));
		assert.equal(request.query.get('timestamps'), 'true');
		assert.ok(Number(request.query.get('tailLines')) > 0);
		assert.equal(request.query.get('sinceSeconds'), null);
		assert.match(request.headers['user-agent'] ?? '', /^kubectl-multus\//);
		assert.equal(request.headers.authorization, 'Bearer secret-token');
	});

	test('a log since a time asks for sinceSeconds; an empty log is empty', async () => {
		const kube = client({}, () => ({status: 200, type: 'text/plain', body: ''}));
		assert.equal(await kube.readPodLog('kube-system', 'p', 'c', 4096, new Date(Date.now() - 90_000)), '');
		const since = Number(seen[0]!.query.get('sinceSeconds'));
		assert.ok(since >= 90 && since <= 92, String(since));
	});

	test('a log that cannot be read: the kind and the server\'s message', async () => {
		const gone = await failure(client({}, notFound).readPodLog('kube-system', 'p', 'c', 4096));
		assert.equal(gone.kind, 'NotFound');
		assert.equal(gone.message, 'cannot read the log of pod kube-system/p: the thing was not found');
		const forbidden = await failure(client({}, () => status(403, 'Forbidden', 'pods "p" is forbidden: User "jane" cannot get resource "pods/log"')).readPodLog('kube-system', 'p', 'c', 4096));
		assert.equal(forbidden.kind, 'Forbidden');
		assert.equal(forbidden.message, 'cannot read the log of pod kube-system/p: pods "p" is forbidden: User "jane" cannot get resource "pods/log"');
		const kubelet = await failure(client({}, () => status(500, 'InternalError', 'Get "https://node:10250/containerLogs/...": dial tcp: connection refused')).readPodLog('kube-system', 'p', 'c', 4096));
		assert.equal(kubelet.kind, 'Unreachable');
		assert.equal(kubelet.status, 500);
	});

	test('a namespace: 200 exists, 404 does not, 403 is an error', async () => {
		assert.equal(await client({}, () => json(200, {kind: 'Namespace', metadata: {name: 'kube-system'}})).namespaceExists('kube-system'), true);
		assert.equal(seen[0]!.path, '/api/v1/namespaces/kube-system');
		assert.equal(await client({}, notFound).namespaceExists('nope'), false);
		const error = await failure(client({}, () => status(403, 'Forbidden', 'namespaces "x" is forbidden')).namespaceExists('x'));
		assert.equal(error.kind, 'Forbidden');
		assert.equal(error.message, 'cannot read namespace x: namespaces "x" is forbidden');
	});

	test('a ServiceAccount and events: paths, the field selector, the objects', async () => {
		const account = {kind: 'ServiceAccount', metadata: {name: 'multus', namespace: 'kube-system', creationTimestamp: '2026-12-01T10:00:00Z'}, automountServiceAccountToken: true};
		const read = await client({}, () => json(200, account)).readServiceAccount('kube-system', 'multus');
		assert.equal(seen[0]!.path, '/api/v1/namespaces/kube-system/serviceaccounts/multus');
		assert.equal(read.metadata?.name, 'multus');
		assert.equal(read.automountServiceAccountToken, true);
		const missing = await failure(client({}, notFound).readServiceAccount('kube-system', 'multus'));
		assert.equal(missing.kind, 'NotFound');
		assert.equal(missing.message, 'cannot read ServiceAccount kube-system/multus: the thing was not found');

		const event = {metadata: {name: 'e1', namespace: 'kube-system'}, involvedObject: {kind: 'DaemonSet', uid: 'u1'}, reason: 'FailedCreate', message: 'Error creating: nope', lastTimestamp: '2026-12-01T10:00:05Z'};
		const events = await client({}, () => json(200, {kind: 'EventList', metadata: {resourceVersion: '5'}, items: [event]})).listEvents('kube-system', 'reason=FailedCreate');
		assert.equal(seen[0]!.path, '/api/v1/namespaces/kube-system/events');
		assert.equal(seen[0]!.query.get('fieldSelector'), 'reason=FailedCreate');
		assert.equal(events.length, 1);
		assert.equal(events[0]!.reason, 'FailedCreate');
		assert.equal(events[0]!.involvedObject.uid, 'u1');
		assert.equal(new Date(events[0]!.lastTimestamp!).getTime(), Date.parse('2026-12-01T10:00:05Z'));
	});

	test('a ClusterRoleBinding read; 401 on any read is Unauthorized, as on the first', async () => {
		const binding = {kind: 'ClusterRoleBinding', metadata: {name: 'multus'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'multus'}, subjects: [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]};
		const read = await client({}, () => json(200, binding)).readClusterRoleBinding('multus');
		assert.equal(seen[0]!.path, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/multus');
		assert.equal(read.roleRef.name, 'multus');
		assert.equal(read.subjects?.[0]?.name, 'multus');
		for (const read of [(kube: KubeApi) => kube.listClusterRoles(), (kube: KubeApi) => kube.readServiceAccount('kube-system', 'multus'), (kube: KubeApi) => kube.readPodLog('kube-system', 'p', 'c', 4096)]) {
			const error = await failure(read(client({}, () => status(401, 'Unauthorized', 'Unauthorized'))));
			assert.equal(error.kind, 'Unauthorized');
			assert.match(error.message, /: Unauthorized$/);
		}
	});

	test('an HTML error page on a read: its kind by status, the page as the detail', async () => {
		const error = await failure(client({}, () => html(403)).readServiceAccount('kube-system', 'multus'));
		assert.equal(error.kind, 'Forbidden');
		assert.equal(error.message, 'cannot read ServiceAccount kube-system/multus: <html><body>Not here</body></html>');
	});
});

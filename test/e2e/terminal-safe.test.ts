// Text from the cluster reaches the terminal escaped, never as control sequences (issue 12, item 3): names of
// roles, bindings and rules in the plain doctor output, and a hostile server's /version and error texts.
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectl, runPlugin} from '../helpers/cluster.js';
import {kubeconfigWith} from '../helpers/faults.js';

const osc = '\u001B]2;pwned\u0007';
const clear = '\u001B[2J\u001B[H';
/** Raw control, C1 and bidi characters: none may be written, outside our own colour codes (NO_COLOR here: none at all). */
const raw = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;
const hostileBinding = `multus-extra${osc}`;

/** A server that says it is Kubernetes with a hostile version, and refuses everything else with a hostile message. */
async function hostileServer(): Promise<{url: string; close: () => Promise<void>}> {
	const server = http.createServer((request, response) => {
		if (request.url?.startsWith('/version')) {
			response.writeHead(200, {'content-type': 'application/json'});
			response.end(JSON.stringify({major: '1', minor: '36', gitVersion: `v1.36.3${osc}${clear}\u202E`}));
			return;
		}
		response.writeHead(403, {'content-type': 'application/json'});
		response.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `daemonsets.apps is forbidden${osc}: ${clear}all is fine`}));
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => new Promise(resolve => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

describe('no raw control characters reach the terminal', () => {
	after(() => {
		kubectl(['delete', 'clusterrolebinding', hostileBinding, '--ignore-not-found']);
		deleteScenario('broken-thick');
	});

	test('a hostile server\'s /version and error texts: shown escaped in text, exact in JSON', async () => {
		const server = await hostileServer();
		try {
			const config = kubeconfigWith({server: server.url, 'insecure-skip-tls-verify': true}, {token: 'x'});
			const text = await runPlugin(['doctor', '--check', '--kubeconfig', config]);
			assert.equal(text.code, 4, text.stdout + text.stderr);
			assert.doesNotMatch(text.stdout + text.stderr, raw);
			assert.match(text.stdout, /v1\.36\.3\\x1b\]2;pwned\\x07\\x1b\[2J\\x1b\[H\\u202e/);
			assert.match(text.stdout, /daemonsets\.apps is forbidden\\x1b\]2;pwned\\x07: \\x1b\[2J\\x1b\[Hall is fine/);
			const json = await runPlugin(['doctor', '--check', '-o', 'json', '--kubeconfig', config]);
			const report = JSON.parse(json.stdout);
			assert.ok(JSON.stringify(report).includes(JSON.stringify(`forbidden${osc}`).slice(1, -1)), 'the JSON report keeps the exact text');
			assert.doesNotMatch(json.stderr, raw);
			const undo = await runPlugin(['undo', '--kubeconfig', config]);
			assert.notEqual(undo.code, 0);
			assert.doesNotMatch(undo.stdout + undo.stderr, raw);
		} finally {
			await server.close();
		}
	});

	test('role, binding and rule names from the cluster in the plain doctor output', async () => {
		applyScenario('broken-thick');
		// A second binding of the Multus role with a name that retitles the terminal, and a rule whose names clear it.
		kubectl(['create', '-f', '-'], JSON.stringify({
			apiVersion: 'rbac.authorization.k8s.io/v1',
			kind: 'ClusterRoleBinding',
			metadata: {name: hostileBinding},
			roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'multus'},
			subjects: [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}],
		}));
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'add', path: '/rules/-', value: {apiGroups: [`example.com${clear}`], resources: [`widgets\u202E`], verbs: ['get']}}])]);
		const text = await runPlugin(['doctor', '--check']);
		assert.equal(text.code, 1, text.stdout + text.stderr);
		assert.doesNotMatch(text.stdout + text.stderr, raw);
		assert.match(text.stdout, /ClusterRoleBinding multus-extra\\x1b\]2;pwned\\x07/);
		// Groups are quoted as JSON strings (so ESC shows as \u001b); the bidi override in the resource is escaped.
		assert.match(text.stdout, /widgets\\u202e \["example\.com\\u001b\[2J\\u001b\[H"\]: get/);
		const json = await runPlugin(['doctor', '--check', '-o', 'json']);
		assert.ok(json.stdout.includes(JSON.stringify(hostileBinding).slice(1, -1)), 'the JSON report keeps the exact name');
	});
});

// What a user can get wrong, or what can be wrong around them, before the doctor touches anything: a server that
// never answers (at once, or after connecting), a kubeconfig that is garbage, credentials the apiserver rejects, an
// exec credential plugin that fails, a server that is not Kubernetes, Multus installed twice. Each ends with the
// documented exit code, a message that names the problem and the fix, and no change in the cluster.
import assert from 'node:assert/strict';
import {rootCertificates} from 'node:tls';
import {after, before, describe, test} from 'node:test';
import {applyScenario, deleteScenario, runPlugin, snapshot, type RunResult} from '../helpers/cluster.js';
import {adminKubeconfigVia, blackHoleAfter, htmlServer, kubeconfigWith, realCluster, silentServer, writeKubeconfig} from '../helpers/faults.js';

describe('faults in what the doctor is given', () => {
	let baseline: ReturnType<typeof snapshot>;
	const real = realCluster();
	const realClusterEntry = {server: real.server, 'certificate-authority': real.certificateAuthority};

	before(() => {
		applyScenario('broken-thick');
		baseline = snapshot('multus', 'kube-system', 'kube-multus-ds');
	});
	after(() => {
		deleteScenario('elsewhere-thick');
		deleteScenario('broken-thick');
	});

	/** Exit 3, the problem and its fix on screen, the cluster exactly as before. */
	function assertConnectFailure(result: RunResult, problem: RegExp, fix: RegExp): void {
		const text = result.stdout + result.stderr;
		assert.equal(result.code, 3, text);
		assert.match(text, problem);
		assert.match(text, fix);
		assert.match(result.stdout, /Nothing in the cluster was changed\./);
		const now = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.equal(now.resourceVersion, baseline.resourceVersion, 'ClusterRole not written');
		assert.equal(now.generation, baseline.generation, 'DaemonSet not restarted');
		assert.deepEqual(now.pods, baseline.pods, 'same pods');
	}

	test('a server that accepts and never answers: --request-timeout 2s ends it, exit 3, no answer in time', async () => {
		const server = await silentServer();
		try {
			const started = Date.now();
			const result = await runPlugin(['doctor', '--yes', '--request-timeout', '2s', '--kubeconfig', kubeconfigWith({server: server.url, 'insecure-skip-tls-verify': true}, {token: 'x'})]);
			const took = Date.now() - started;
			assertConnectFailure(result, new RegExp(`cannot read the server version: no answer from the API server at ${server.url.replaceAll('.', '\\.')} in time`), /fix: check that the cluster is up and reachable .* or raise --request-timeout/);
			assert.ok(server.hits() >= 1, 'it did reach our server');
			// Bounded by our timeout, not by undici's own 10 s connect timeout holding the process.
			assert.ok(took < 8000, `took ${took} ms`);
		} finally {
			await server.close();
		}
	});

	test('the API server goes silent after Connect (black-holing proxy): exit 3 in Find, no answer in time, nothing changed', async () => {
		const proxy = await blackHoleAfter(new URL(real.server).host, 1);
		try {
			const result = await runPlugin(['doctor', '--yes', '--request-timeout', '2s', '-o', 'json', '--kubeconfig', adminKubeconfigVia(proxy.url)]);
			assert.equal(result.code, 3, result.stdout + result.stderr);
			const report = JSON.parse(result.stdout);
			assert.match(report.connection.serverVersion, /^v1\./, 'Connect went through the proxy');
			assert.equal(report.error.step, 'find');
			assert.equal(report.error.kind, 'Timeout');
			assert.match(report.error.message, /no answer from the API server at https:\/\/127\.0\.0\.1:\d+ in time/);
			assert.match(result.stderr, /fix: check that the cluster is up and reachable/);
			assert.equal(report.applied.clusterRole, null);
			const now = snapshot('multus', 'kube-system', 'kube-multus-ds');
			assert.equal(now.resourceVersion, baseline.resourceVersion);
			assert.equal(now.generation, baseline.generation);
		} finally {
			await proxy.close();
		}
	});

	test('a certificate authority that does not match the server: exit 3, TLS failure, check the cluster entry', async () => {
		// A real root CA, just not the one that signed this API server's certificate.
		const wrongCa = Buffer.from(rootCertificates[0]!).toString('base64');
		const result = await runPlugin(['doctor', '--yes', '--kubeconfig', kubeconfigWith({server: real.server, 'certificate-authority-data': wrongCa}, real.adminUser)]);
		assertConnectFailure(result, new RegExp(`cannot read the server version: TLS failure talking to ${real.server.replaceAll('.', '\\.')} \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE`), /fix: the kubeconfig's certificate-authority does not match the server/);
	});

	test('a kubeconfig that is not YAML: exit 3, the file named', async () => {
		const file = writeKubeconfig('apiVersion: v1\nclusters: [ {name: broken\n  : : :\n\t- garbage');
		const result = await runPlugin(['doctor', '--yes', '--kubeconfig', file]);
		assertConnectFailure(result, new RegExp(`cannot read kubeconfig ${file.replaceAll('.', '\\.')}: `), /fix: fix the file \(kubectl config view shows what kubectl makes of it\) or pass another --kubeconfig/);
	});

	test('a token the API server rejects (401): exit 3, told to refresh the credentials', async () => {
		const result = await runPlugin(['doctor', '--yes', '--kubeconfig', kubeconfigWith(realClusterEntry, {token: 'expired-or-revoked'})]);
		assertConnectFailure(result, /cannot read the server version: Unauthorized/, /fix: your credentials were rejected: refresh them/);
	});

	test('an exec credential plugin that fails: exit 3, its own message shown, told to log in again', async () => {
		const plugin = {apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'echo "error: SSO session expired, run: corp-login" >&2; exit 1'], interactiveMode: 'Never'};
		const result = await runPlugin(['doctor', '--yes', '--kubeconfig', kubeconfigWith(realClusterEntry, {exec: plugin})]);
		assertConnectFailure(result, /the credential plugin of kubeconfig user "faulty-user" failed \(sh -c .*\): error: SSO session expired, run: corp-login/, /fix: log in again the way that plugin expects/);
	});

	test('a web server that is not Kubernetes (404, HTML): exit 3, "not a Kubernetes API server"', async () => {
		const server = await htmlServer(404);
		try {
			const result = await runPlugin(['doctor', '--yes', '--kubeconfig', kubeconfigWith({server: server.url, 'insecure-skip-tls-verify': true}, {token: 'x'})]);
			assertConnectFailure(result, new RegExp(`${server.url.replaceAll('.', '\\.')} is not a Kubernetes API server: it answered /version with HTTP 404 \\(text/html\\)`), /fix: the kubeconfig points at something else .* check the cluster URL/);
		} finally {
			await server.close();
		}
	});

	test('a web server answering 200 with a page: exit 3, "not a Kubernetes API server"; plain http refused up front', async () => {
		const server = await htmlServer(200);
		try {
			const result = await runPlugin(['doctor', '--yes', '--kubeconfig', kubeconfigWith({server: server.url, 'insecure-skip-tls-verify': true}, {token: 'x'})]);
			assertConnectFailure(result, /is not a Kubernetes API server: it answered \/version without a Kubernetes version/, /fix: the kubeconfig points at something else/);
			const plain = await runPlugin(['doctor', '--yes', '--kubeconfig', kubeconfigWith({server: server.url}, {token: 'x'})]);
			assertConnectFailure(plain, /has a plain-http server URL \(http:\/\/127\.0\.0\.1:\d+\), which client-node refuses without insecure-skip-tls-verify/, /fix: use the https:\/\/ address/);
			assert.equal(server.hits(), 1, 'the plain-http kubeconfig never reached the server');
		} finally {
			await server.close();
		}
	});

	test('Multus installed twice: exit 2, both installs named, how to pick one', async () => {
		applyScenario('elsewhere-thick');
		const elsewhere = snapshot('multus-cni-daemon', 'multus-system', 'multus');
		const result = await runPlugin(['doctor', '--yes']);
		assert.equal(result.code, 2, result.stdout + result.stderr);
		assert.match(result.stdout, /Multus is installed more than once: (kube-system\/kube-multus-ds \(thick\), multus-system\/multus \(thick\)|multus-system\/multus \(thick\), kube-system\/kube-multus-ds \(thick\))/);
		assert.match(result.stdout, /fix: pick one with -n NAMESPACE and\/or --daemonset NAME/);
		const now = snapshot('multus', 'kube-system', 'kube-multus-ds');
		assert.equal(now.resourceVersion, baseline.resourceVersion);
		assert.equal(now.generation, baseline.generation);
		const elsewhereNow = snapshot('multus-cni-daemon', 'multus-system', 'multus');
		assert.equal(elsewhereNow.resourceVersion, elsewhere.resourceVersion);
		assert.equal(elsewhereNow.generation, elsewhere.generation);
		deleteScenario('elsewhere-thick');
	});
});

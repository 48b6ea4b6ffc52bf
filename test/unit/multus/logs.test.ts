import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {classifyLine, excerptOf, extractTimestamp, scanStream, scanText} from '../../../source/multus/logs.js';
import type {LineFinding, LogClassification} from '../../../source/multus/logs.js';

const kubeSystemMultus = 'system:serviceaccount:kube-system:multus';

/** The apiserver's message with each quote written as `quote` (raw, \" inside err="...", or \\\" escaped twice). */
function denial(verb: string, user: string, quote = '"'): string {
	return `pods is forbidden: User ${quote}${user}${quote} cannot ${verb} resource ${quote}pods${quote} in API group ${quote}${quote} at the cluster scope`;
}

function assertPodsForbidden(line: string, verb: 'list' | 'watch', user: string | null): LogClassification {
	const found = classifyLine(line);
	assert.ok(found, `not classified: ${line}`);
	assert.equal(found.kind, 'pods-forbidden', `wrong kind for: ${line}`);
	assert.equal(found.verb, verb);
	assert.equal(found.user, user);
	return found;
}

describe('classifyLine: real lines from multus-facts.md §3b', () => {
	test('#1185 W reflector line: list denied (client-go 0.27)', () => {
		const found = assertPodsForbidden(
			'W1109 23:47:55.914854  514945 reflector.go:533] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: pods is forbidden: User "system:serviceaccount:kube-system:multus" cannot list resource "pods" in API group "" at the cluster scope',
			'list',
			kubeSystemMultus,
		);
		assert.deepEqual(found, {kind: 'pods-forbidden', informer: 'pod', verb: 'list', user: kubeSystemMultus, timestamp: '1109 23:47:55.914854', source: 'reflector'});
	});

	test('#1185 E reflector line: Failed to watch wrapping failed to list', () => {
		const found = assertPodsForbidden(
			'E1109 23:47:55.914887  514945 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: failed to list *v1.Pod: pods is forbidden: User "system:serviceaccount:kube-system:multus" cannot list resource "pods" in API group "" at the cluster scope',
			'list',
			kubeSystemMultus,
		);
		assert.equal(found.timestamp, '1109 23:47:55.914887');
	});

	test('#1186 CRI log file line: watch denied, old client-go names no user', () => {
		const found = assertPodsForbidden(
			'2023-11-13T11:23:01.338378331-06:00 stderr F E1113 17:23:01.338032  777873 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)',
			'watch',
			null,
		);
		assert.deepEqual(found, {kind: 'pods-forbidden', informer: 'pod', verb: 'watch', user: null, timestamp: '2023-11-13T11:23:01.338378331-06:00', source: 'watch-unknown'});
	});

	test('#1361 apiserver unreachable is not the RBAC bug', () => {
		const found = classifyLine(
			'W1125 16:44:02.369229    4366 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?fieldSelector=spec.nodeName%3Dkubevirt1-01&limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: connection timed out',
		);
		assert.deepEqual(found, {kind: 'apiserver-unreachable', reason: 'connection timed out', informer: 'pod', timestamp: '1125 16:44:02.369229'});
	});

	test('#667 thin plugin namespaced get is not the informer error', () => {
		const found = classifyLine(
			'Multus: [default/testpod1]: error getting pod: pods "testpod1" is forbidden: User "system:serviceaccount:kube-system:multus" cannot get resource "pods" in API group "" in the namespace "default"',
		);
		assert.deepEqual(found, {kind: 'namespaced-get-forbidden', user: kubeSystemMultus, namespace: 'default', pod: 'testpod1', timestamp: null});
	});
});

describe('classifyLine: every client-go family of §3a', () => {
	const user = 'system:serviceaccount:cluster-network-addons:multus';
	const families: Array<[string, string]> = [
		['0.27 W', `W1109 23:47:55.914854  514945 reflector.go:533] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: ${denial('list', user)}`],
		['0.27 E', `E1109 23:47:55.914887  514945 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: failed to list *v1.Pod: ${denial('list', user)}`],
		['0.29 W', `W0806 10:01:02.123456 4190955 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: ${denial('list', user)}`],
		['0.29 E', `E0806 10:01:02.123499 4190955 reflector.go:147] k8s.io/client-go/informers/factory.go:159: Failed to watch *v1.Pod: failed to list *v1.Pod: ${denial('list', user)}`],
		['0.29 from the module cache', `W0806 10:01:02.123456 4190955 reflector.go:539] pkg/mod/k8s.io/client-go@v0.29.0/informers/factory.go:159: failed to list *v1.Pod: ${denial('list', user)}`],
		['0.32 W', `W0601 08:00:00.000001  12345 reflector.go:569] k8s.io/client-go/informers/factory.go:160: failed to list *v1.Pod: ${denial('list', user)}`],
		['0.32 E Unhandled Error', `E0601 08:00:00.000002  12345 reflector.go:166] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to list *v1.Pod: ${denial('list', user, '\\"')}" logger="UnhandledError"`],
		['0.34 structured', `E0217 12:30:45.678901    4366 reflector.go:205] "Failed to watch" err="failed to list *v1.Pod: ${denial('list', user, '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Pod"`],
		['0.35 structured', `E0529 01:02:03.040506    4366 reflector.go:204] "Failed to watch" err="failed to list *v1.Pod: ${denial('list', user, '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:161" type="*v1.Pod"`],
		['0.36 structured (RunWithContext)', `E0820 23:59:59.999999       7 reflector.go:204] "Failed to watch" err="failed to list *v1.Pod: ${denial('list', user, '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:177" type="*v1.Pod"`],
	];
	for (const [name, line] of families) {
		test(`${name}: list denied`, () => {
			const found = assertPodsForbidden(line, 'list', user);
			assert.equal(found.kind === 'pods-forbidden' && found.source, 'reflector');
			assert.match(found.timestamp ?? '', /^\d{4} \d{2}:\d{2}:\d{2}\.\d{6}$/);
		});
	}

	test('watch denied, decoded (newer client-go), plain and structured', () => {
		assertPodsForbidden(`E1113 17:23:01.338032  777873 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: ${denial('watch', user)}`, 'watch', user);
		assertPodsForbidden(
			`E0529 01:02:03.040506 4366 reflector.go:204] "Failed to watch" err="${denial('watch', user, '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:161" type="*v1.Pod"`,
			'watch',
			user,
		);
	});

	test('watch-only unknown (get pods) in the structured and Unhandled Error forms', () => {
		assertPodsForbidden('E0601 08:00:00.000002 1 reflector.go:166] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: unknown (get pods)" logger="UnhandledError"', 'watch', null);
		assertPodsForbidden('E0217 12:30:45.678901 1 reflector.go:205] "Failed to watch" err="unknown (get pods)" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Pod"', 'watch', null);
		assertPodsForbidden('W0101 00:00:00.000000 1 reflector.go:424] k8s.io/client-go/informers/factory.go:150: watch of *v1.Pod ended with: unknown (get pods)', 'watch', null);
	});

	test('quotes escaped twice (JSON inside JSON) and once in a bundle', () => {
		const twice = `{"msg":"E0217 12:30:45.678901 1 reflector.go:205] \\"Failed to watch\\" err=\\"failed to list *v1.Pod: ${denial('list', user, '\\\\\\"')}\\""}`;
		assertPodsForbidden(twice, 'list', user);
		assertPodsForbidden(`{"log":"W1109 23:47:55.914854 514945 reflector.go:533] x: failed to list *v1.Pod: ${denial('list', user, '\\"')}\\n","stream":"stderr"}`, 'list', user);
	});

	test('any namespace, any service account, and per-node system:multus users', () => {
		for (const who of ['system:serviceaccount:kube-system:multus', 'system:serviceaccount:openshift-multus:multus-node-identity', 'system:serviceaccount:nvidia-network-operator:rke2-multus', 'system:multus:node-1', 'system:multus:ip-10-0-1-23.ec2.internal']) {
			assertPodsForbidden(`E0101 00:00:00.000000 1 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: failed to list *v1.Pod: ${denial('list', who)}`, 'list', who);
			assertPodsForbidden(`E0101 00:00:00.000000 1 reflector.go:204] "Failed to watch" err="${denial('watch', who, '\\"')}" type="*v1.Pod"`, 'watch', who);
		}
	});

	test('the bare message in another wrapper is still the bug, with source "message"', () => {
		const found = assertPodsForbidden(`Error from server (Forbidden): ${denial('list', user)}`, 'list', user);
		assert.equal(found.kind === 'pods-forbidden' && found.source, 'message');
	});

	test('the pods denial wins over another denial on the same line', () => {
		const line = `events is forbidden: User "${user}" cannot create resource "events" in API group "" in the namespace "default"; ${denial('watch', user)}`;
		assertPodsForbidden(line, 'watch', user);
	});
});

describe('classifyLine: runtime and kubectl prefixes, and timestamps', () => {
	const core = `E1109 23:47:55.914887  514945 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: failed to list *v1.Pod: ${denial('list', kubeSystemMultus)}`;
	const cases: Array<[string, string, string | null]> = [
		['no prefix: the klog time', core, '1109 23:47:55.914887'],
		['CRI log file, full line', `2023-11-09T23:47:55.914901234Z stderr F ${core}`, '2023-11-09T23:47:55.914901234Z'],
		['CRI log file, partial line', `2023-11-09T23:47:55.914901234+01:00 stdout P ${core}`, '2023-11-09T23:47:55.914901234+01:00'],
		['kubectl logs --timestamps', `2023-11-13T11:23:01.338378331-06:00 ${core}`, '2023-11-13T11:23:01.338378331-06:00'],
		['kubectl logs --prefix', `[pod/kube-multus-ds-abc/kube-multus] ${core}`, '1109 23:47:55.914887'],
		['kubectl logs --prefix --timestamps', `[pod/kube-multus-ds-abc/kube-multus] 2023-11-13T11:23:01.338378331Z ${core}`, '2023-11-13T11:23:01.338378331Z'],
		['docker json-file', `{"log":"${core.replaceAll('"', '\\"')}\\n","stream":"stderr","time":"2023-11-09T23:47:55.9149Z"}`, '1109 23:47:55.914887'],
	];
	for (const [name, line, timestamp] of cases) {
		test(name, () => {
			const found = assertPodsForbidden(line, 'list', kubeSystemMultus);
			assert.equal(found.timestamp, timestamp);
		});
	}

	test('multus own logger format and the absence of any time', () => {
		assert.equal(extractTimestamp('2024-11-25T16:44:01Z [error] failed to sync pod informer cache'), '2024-11-25T16:44:01Z');
		assert.equal(extractTimestamp('2024-11-25T16:44:01+09:00 [verbose] x'), '2024-11-25T16:44:01+09:00');
		assert.equal(extractTimestamp('no time here'), null);
		assert.equal(extractTimestamp('{"stream":"stderr","time":"2023-11-09T23:47:55.9149Z"}'), '2023-11-09T23:47:55.9149Z');
		assert.equal(extractTimestamp(''), null);
	});
});

describe('classifyLine: look-alikes are classified, never as pods-forbidden', () => {
	const user = 'system:serviceaccount:kube-system:multus';
	test('apiserver unreachable: refused, i/o timeout, TLS handshake timeout, no route to host, escaped URL', () => {
		const cases: Array<[string, string, string | null]> = [
			['W0101 00:00:00.000000 1 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: connection refused', 'connection refused', 'pod'],
			['E0101 00:00:00.000000 1 reflector.go:205] "Failed to watch" err="failed to list *v1.Pod: Get \\"https://10.96.0.1:443/api/v1/pods?limit=500&resourceVersion=0\\": dial tcp 10.96.0.1:443: i/o timeout" logger="UnhandledError" type="*v1.Pod"', 'i/o timeout', 'pod'],
			['E0101 00:00:00.000000 1 reflector.go:166] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to list *v1.Pod: Get \\"https://[fd00::1]:443/api/v1/pods?limit=500\\": net/http: TLS handshake timeout"', 'TLS handshake timeout', 'pod'],
			['W0101 00:00:00.000000 1 reflector.go:539] github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/client/informers/externalversions/factory.go:117: failed to list *v1.NetworkAttachmentDefinition: Get "https://10.96.0.1:443/apis/k8s.cni.cncf.io/v1/network-attachment-definitions?limit=500": dial tcp 10.96.0.1:443: connect: no route to host', 'no route to host', 'net-attach-def'],
			['2024-11-25T16:44:01Z [error] Multus: [default/web-1/uid]: error getting pod: Get "https://10.96.0.1:443/api/v1/namespaces/default/pods/web-1": dial tcp 10.96.0.1:443: connect: connection refused', 'connection refused', 'pod'],
			['W0101 00:00:00.000000 1 reflector.go:539] x: failed to list *v1.Pod: Get "https://kubernetes.default.svc/api?timeout=32s": dial tcp: lookup kubernetes.default.svc: no such host', 'no such host', 'pod'],
		];
		for (const [line, reason, informer] of cases) {
			const found = classifyLine(line);
			assert.equal(found?.kind, 'apiserver-unreachable', line);
			assert.equal(found.kind === 'apiserver-unreachable' && found.reason, reason);
			assert.equal(found.kind === 'apiserver-unreachable' && found.informer, informer);
		}
	});

	test('a network error on a request that is not to the Kubernetes API is not classified', () => {
		assert.equal(classifyLine('Failed to pull image: Get "https://registry.example/v2/": dial tcp 1.2.3.4:443: connect: connection refused'), null);
	});

	test('NAD informer forbidden (list, watch; every wrapper) is nads-forbidden, its own family', () => {
		const found = classifyLine(
			`E0217 12:30:45.678901 1 reflector.go:205] "Failed to watch" err="failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User \\"${user}\\" cannot list resource \\"network-attachment-definitions\\" in API group \\"k8s.cni.cncf.io\\" at the cluster scope" logger="UnhandledError" type="*v1.NetworkAttachmentDefinition"`,
		);
		assert.deepEqual(found, {kind: 'nads-forbidden', informer: 'net-attach-def', verb: 'list', user, timestamp: '0217 12:30:45.678901', source: 'reflector'});
		// The real v4.2.2 daemon, built from the module: the reflector is named by its module path.
		const real = classifyLine(
			`W1201 08:49:55.078260    4639 reflector.go:569] pkg/mod/github.com/k8snetworkplumbingwg/network-attachment-definition-client@v1.7.5/pkg/client/informers/externalversions/factory.go:117: failed to watch *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User "${user}" cannot watch resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" at the cluster scope`,
		);
		assert.equal(real?.kind, 'nads-forbidden');
		assert.equal(real && 'verb' in real ? real.verb : null, 'watch');
		const unknown = classifyLine('E0101 00:00:00.000000 1 reflector.go:148] x/factory.go:117: Failed to watch *v1.NetworkAttachmentDefinition: unknown (get network-attachment-definitions.k8s.cni.cncf.io)');
		assert.deepEqual(unknown, {kind: 'nads-forbidden', informer: 'net-attach-def', verb: 'watch', user: null, timestamp: '0101 00:00:00.000000', source: 'watch-unknown'});
	});

	test('NADs forbidden for get, or in one namespace, stays other-forbidden (not the informer)', () => {
		assert.equal(classifyLine(`network-attachment-definitions.k8s.cni.cncf.io "macvlan" is forbidden: User "${user}" cannot get resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" in the namespace "default"`)?.kind, 'other-forbidden');
		assert.equal(classifyLine(`network-attachment-definitions.k8s.cni.cncf.io is forbidden: User "${user}" cannot list resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" in the namespace "default"`)?.kind, 'other-forbidden');
	});

	test("the daemon's own start-up lines: started and ready (after its informers' caches)", () => {
		assert.deepEqual(classifyLine('2026-12-01T08:49:55Z [verbose] multus-daemon started'), {kind: 'daemon-started', timestamp: '2026-12-01T08:49:55Z'});
		assert.deepEqual(classifyLine('2026-12-01T08:49:55.1Z stderr F 2026-12-01T08:49:55Z [verbose] API readiness check done!'), {kind: 'daemon-ready', timestamp: '2026-12-01T08:49:55.1Z'});
		assert.equal(classifyLine('2026-12-01T08:49:55Z [verbose] API readiness check'), null);
		assert.equal(classifyLine('someone wrote multus-daemon started in a sentence'), null);
	});

	test('events forbidden (core and events.k8s.io) is other-forbidden', () => {
		assert.deepEqual(classifyLine(`E0101 00:00:00.000000 1 event.go:359] Server rejected event '&v1.Event{}': 'events is forbidden: User "${user}" cannot patch resource "events" in API group "" in the namespace "default"' (will not retry!)`), {
			kind: 'other-forbidden', user, verb: 'patch', resource: 'events', apiGroup: '', namespace: 'default', timestamp: '0101 00:00:00.000000',
		});
		const found = classifyLine(`events.events.k8s.io is forbidden: User "${user}" cannot create resource "events" in API group "events.k8s.io" in the namespace "kube-system"`);
		assert.equal(found?.kind, 'other-forbidden');
	});

	test('pods forbidden for get at cluster scope, list in one namespace, or a subresource is other-forbidden', () => {
		assert.deepEqual(classifyLine(`pods is forbidden: User "${user}" cannot get resource "pods" in API group "" at the cluster scope`), {
			kind: 'other-forbidden', user, verb: 'get', resource: 'pods', apiGroup: '', namespace: null, timestamp: null,
		});
		assert.deepEqual(classifyLine(`W0101 00:00:00.000000 1 reflector.go:539] x: failed to list *v1.Pod: pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "default"`), {
			kind: 'other-forbidden', user, verb: 'list', resource: 'pods', apiGroup: '', namespace: 'default', timestamp: '0101 00:00:00.000000',
		});
		assert.equal(classifyLine(`pods "web-1" is forbidden: User "${user}" cannot update resource "pods/status" in API group "" in the namespace "default"`)?.kind, 'other-forbidden');
		assert.equal(classifyLine(`pods is forbidden: User "${user}" cannot list resource "pods" in API group "apps" at the cluster scope`)?.kind, 'other-forbidden');
		assert.equal(classifyLine(`forbidden: User "system:anonymous" cannot get path "/api"`)?.kind, 'other-forbidden');
	});

	test('Unauthorized and multus informer sync failures', () => {
		assert.deepEqual(classifyLine('E0101 00:00:00.000000 1 reflector.go:147] k8s.io/client-go/informers/factory.go:159: Failed to watch *v1.Pod: failed to list *v1.Pod: Unauthorized'), {
			kind: 'unauthorized', informer: 'pod', timestamp: '0101 00:00:00.000000',
		});
		assert.deepEqual(classifyLine('2024-11-25T16:44:01Z [error] failed to sync pod informer cache'), {kind: 'informer-sync-failed', informer: 'pod', timestamp: '2024-11-25T16:44:01Z'});
		assert.deepEqual(classifyLine('2024-11-25T16:44:21Z [error] failed to sync net-attach-def informer cache'), {kind: 'informer-sync-failed', informer: 'net-attach-def', timestamp: '2024-11-25T16:44:21Z'});
	});

	test('benign multus lines, noise, empty and binary garbage are null', () => {
		const lines = [
			'',
			' ',
			'\u0000\u0001\u00ff\ufffd\ud800garbage\u001b[31m',
			'I1125 16:44:01.000000 1 reflector.go:376] Caches populated for *v1.Pod from k8s.io/client-go/informers/factory.go:160',
			'2024-11-25T16:44:01Z [verbose] Filtering pod watch for node "node-1"',
			'2024-11-25T16:44:01Z [verbose] ADD starting CNI request ContainerID:"abc" Netns:"/var/run/netns/x" IfName:"eth0" Args:"K8S_POD_NAMESPACE=default;K8S_POD_NAME=web" Path:""',
			'2024-11-25T16:44:01Z [error] Multus: [default/web/uid]: error waiting for pod: pod "web" not found',
			'pods is forbidden to people who read logs all day, said the User',
			'the pods were forbidden: nobody could list them',
			'unknown (get pods)',
			'E0101 00:00:00.000000 1 x.go:1] error getting pod: unknown (get pods web-1)',
			'User "x" cannot list resource "pods" in API group "" at the cluster scope',
			'Get "https://10.96.0.1:443/api/v1/pods": 200 OK',
		];
		for (const line of lines) assert.equal(classifyLine(line), null, JSON.stringify(line));
	});

	test('never throws on non-strings or hostile input', () => {
		assert.equal(classifyLine(undefined as unknown as string), null);
		assert.equal(classifyLine(42 as unknown as string), null);
		const hostile = 'forbidden: User '.repeat(10_000) + 'a'.repeat(100_000);
		const started = Date.now();
		assert.equal(classifyLine(hostile), null);
		assert.ok(Date.now() - started < 2000, 'hostile line took too long');
	});
});

describe('excerptOf', () => {
	test('keeps short lines, centres long ones on the classified part', () => {
		assert.equal(excerptOf('short line'), 'short line');
		const line = 'x'.repeat(500) + ' failed to list *v1.Pod: ' + denial('list', kubeSystemMultus) + ' ' + 'y'.repeat(500);
		const excerpt = excerptOf(line, 200);
		assert.ok(excerpt.length <= 200);
		assert.ok(excerpt.startsWith('…'));
		assert.ok(excerpt.includes('pods is forbidden: User "system:serviceaccount:kube-system:multus"'), excerpt);
		assert.equal(excerptOf('a\u0000b\tc'), 'a b c');
	});
});

function streamOf(chunks: Array<string | Buffer>): Readable {
	return Readable.from(chunks, {objectMode: true});
}

function oneByteChunks(text: string): Buffer[] {
	const bytes = Buffer.from(text, 'utf8');
	return Array.from(bytes, byte => Buffer.from([byte]));
}

const sampleLog = [
	'2024-11-25T16:44:01Z [verbose] multus-daemon started',
	`W1109 23:47:55.914854  514945 reflector.go:533] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: ${denial('list', kubeSystemMultus)}`,
	'W1125 16:44:02.369229 4366 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: connection timed out',
	'2024-11-25T16:44:01Z [verbose] café ☕ unicode line',
	'2023-11-13T11:23:01.338378331-06:00 stderr F E1113 17:23:01.338032 777873 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)',
	'',
	`E0217 12:30:45.678901 1 reflector.go:205] "Failed to watch" err="failed to list *v1.Pod: ${denial('list', 'system:multus:node-1', '\\"')}" type="*v1.Pod"`,
];

function located(summary: {findings: LineFinding[]; lookalikeFindings: LineFinding[]}): Array<[number, string]> {
	return [...summary.findings, ...summary.lookalikeFindings].map(finding => [finding.line, finding.kind]);
}

describe('scanText and scanStream', () => {
	test('line numbers, counts, groups and first/last', () => {
		const summary = scanText(sampleLog.join('\n') + '\n');
		assert.equal(summary.lines, 7);
		assert.equal(summary.bytes, Buffer.byteLength(sampleLog.join('\n') + '\n'));
		assert.equal(summary.podsForbidden, 3);
		assert.equal(summary.lookalikes, 1);
		assert.deepEqual(summary.podsForbiddenByVerb, {list: 2, watch: 1});
		assert.deepEqual(summary.findings.map(({line, verb, user}) => [line, verb, user]), [
			[2, 'list', kubeSystemMultus],
			[5, 'watch', null],
			[7, 'list', 'system:multus:node-1'],
		]);
		assert.deepEqual(summary.lookalikeFindings.map(({line, kind}) => [line, kind]), [[3, 'apiserver-unreachable']]);
		assert.deepEqual(summary.firstPodsForbidden, {line: 2, timestamp: '1109 23:47:55.914854'});
		assert.deepEqual(summary.lastPodsForbidden, {line: 7, timestamp: '0217 12:30:45.678901'});
		assert.deepEqual(summary.groups.map(({kind, verb, user, count}) => [kind, verb, user, count]), [
			['pods-forbidden', 'list', kubeSystemMultus, 1],
			['apiserver-unreachable', null, null, 1],
			['pods-forbidden', 'watch', null, 1],
			['pods-forbidden', 'list', 'system:multus:node-1', 1],
		]);
		assert.equal(summary.truncated, false);
		assert.ok(summary.findings[0]?.excerpt.includes('pods is forbidden'));
	});

	test('1-byte chunks give the same result as one chunk', async () => {
		const text = sampleLog.join('\n') + '\n';
		const whole = scanText(text);
		const bytewise = await scanStream(streamOf(oneByteChunks(text)));
		assert.deepEqual(bytewise, whole);
	});

	test('CRLF line endings, with \\r\\n split across chunks', async () => {
		const text = sampleLog.join('\r\n') + '\r\n';
		const summary = await scanStream(streamOf(oneByteChunks(text)));
		assert.equal(summary.lines, 7);
		assert.deepEqual(located(summary), [[2, 'pods-forbidden'], [5, 'pods-forbidden'], [7, 'pods-forbidden'], [3, 'apiserver-unreachable']]);
		assert.equal(summary.findings[0]?.user, kubeSystemMultus);
		assert.ok(!summary.findings.some(finding => finding.excerpt.includes('\r')));
		assert.deepEqual(scanText(text), summary);
	});

	test('a last line without a newline is scanned', async () => {
		const text = sampleLog.join('\n');
		const summary = await scanStream(streamOf([text.slice(0, 100), text.slice(100)]));
		assert.equal(summary.lines, 7);
		assert.equal(summary.findings.at(-1)?.line, 7);
		assert.deepEqual(scanText(text), summary);
	});

	test('string chunks, Uint8Array chunks and async iterables', async () => {
		const text = sampleLog.join('\n') + '\n';
		async function* pieces(): AsyncGenerator<string | Uint8Array> {
			yield text.slice(0, 50);
			yield new Uint8Array(Buffer.from(text.slice(50, 300)));
			yield text.slice(300);
		}
		assert.deepEqual(await scanStream(pieces()), scanText(text));
	});

	test('empty input, a lone newline, and a lone \\r\\n', () => {
		assert.equal(scanText('').lines, 0);
		assert.equal(scanText('\n').lines, 1);
		assert.equal(scanText('\r\n').lines, 1);
		assert.equal(scanText('a').lines, 1);
		assert.equal(scanText('a\n\nb').lines, 3);
	});

	test('onFinding sees every classified line in order, beyond the cap', () => {
		const text = Array.from({length: 30}, (_, index) => `E0101 00:00:00.000000 1 r.go:1] ${denial('list', `system:multus:node-${index}`)}`).join('\n');
		const seen: number[] = [];
		const summary = scanText(text, {maxFindings: 5, maxGroups: 10}, finding => seen.push(finding.line));
		assert.deepEqual(seen, Array.from({length: 30}, (_, index) => index + 1));
		assert.equal(summary.podsForbidden, 30);
		assert.equal(summary.findings.length, 5);
		assert.equal(summary.groups.length, 10);
		assert.equal(summary.truncated, true);
		assert.deepEqual(summary.lastPodsForbidden, {line: 30, timestamp: '0101 00:00:00.000000'});
	});

	test('lines longer than maxLineBytes are classified on their start and counted', async () => {
		const long = `E0101 00:00:00.000000 1 r.go:1] ${denial('list', kubeSystemMultus)} ${'z'.repeat(5000)}`;
		const late = `${'z'.repeat(5000)} ${denial('list', kubeSystemMultus)}`;
		const text = [long, late, 'short'].join('\n');
		const whole = scanText(text, {maxLineBytes: 1000});
		assert.equal(whole.longLines, 2);
		assert.deepEqual(whole.findings.map(finding => finding.line), [1]);
		const chunked = await scanStream(streamOf(text.match(/[\s\S]{1,333}/g) ?? []), undefined, {maxLineBytes: 1000});
		assert.deepEqual(chunked, whole);
	});

	test('agrees with a naive split-and-classify reference', () => {
		const lines: string[] = [];
		for (let index = 0; index < 300; index++) {
			const pick = sampleLog[index % sampleLog.length] ?? '';
			lines.push(index % 7 === 3 ? `[pod/kube-multus-ds-x/kube-multus] ${pick}` : pick);
		}
		const text = lines.join('\n');
		const reference: Array<[number, string]> = [];
		text.split(/\r?\n/).forEach((line, index) => {
			const found = classifyLine(line);
			if (found) reference.push([index + 1, found.kind]);
		});
		const summary = scanText(text);
		const actual = [...summary.findings, ...summary.lookalikeFindings].map((finding): [number, string] => [finding.line, finding.kind]).sort((a, b) => a[0] - b[0]);
		assert.deepEqual(actual, reference.filter(([, kind]) => kind !== 'daemon-started' && kind !== 'daemon-ready'));
	});
});

#!/usr/bin/env node
// Writes a realistic Multus thick-daemon log for benchmarks and tests: mostly benign CNI ADD/DEL, event and
// informer lines, with the pods list/watch forbidden error (every client-go family of multus-facts.md §3a)
// and its look-alikes sprinkled in at given rates. Deterministic for a given seed.
//
//   node scripts/gen-log.mjs [--mb 10] [--rate 0.001] [--lookalikes 0.0005] [--seed 1]
//                            [--prefix none|cri|timestamps|kubectl|mixed] [--crlf] [-o FILE]
//
// On exit it prints to stderr one JSON line with what it wrote:
//   {"bytes":..,"lines":..,"podsForbidden":..,"nadsForbidden":..,"lookalikes":..,"forbiddenByVerb":{"list":..,"watch":..}}
// so a test or benchmark can check a scanner's counts against the truth.
import {createWriteStream} from 'node:fs';
import {once} from 'node:events';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';

/** mulberry32: small, fast, and the same sequence on every platform. */
export function randomSource(seed) {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

const namespaces = ['default', 'kube-system', 'monitoring', 'team-a', 'kubevirt', 'cnf-ran', 'ingress'];
const deployNamespaces = ['kube-system', 'cluster-network-addons', 'nvidia-network-operator', 'multus'];
const serviceAccounts = ['multus', 'rke2-multus', 'multus-daemon'];
const nodes = ['node-1', 'worker-a7', 'kubevirt1-01', 'edge-3'];

function makeLineFactory(random) {
	const pick = list => list[Math.floor(random() * list.length)];
	const hex = n => {
		let out = '';
		for (let i = 0; i < n; i++) out += '0123456789abcdef'[Math.floor(random() * 16)];
		return out;
	};
	const uid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
	const pid = 1000 + Math.floor(random() * 4_000_000);
	let clock = Date.parse('2024-11-25T16:44:01.000Z');
	const pad = (n, w = 2) => String(n).padStart(w, '0');

	function tick() {
		clock += Math.floor(random() * 40);
		return new Date(clock);
	}
	const rfc3339 = date => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
	const nano = date => date.toISOString().replace(/Z$/, `${pad(Math.floor(random() * 1e6), 6)}Z`);
	const klog = (level, date, file) =>
		`${level}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}${pad(Math.floor(random() * 1000), 3)} ${String(pid).padStart(7)} ${file}]`;
	const user = () => (random() < 0.15 ? `system:multus:${pick(nodes)}` : `system:serviceaccount:${pick(deployNamespaces)}:${pick(serviceAccounts)}`);
	const podName = () => `${pick(['web', 'db', 'vm-launcher', 'cnf', 'sriov-test', 'api'])}-${hex(5)}`;
	const stdin = () =>
		`{"clusterNetwork":"/host/etc/cni/net.d/10-calico.conflist","cniVersion":"0.3.1","daemonSocketDir":"/run/multus/socket","kubeconfig":"/etc/cni/net.d/multus.d/multus.kubeconfig","logLevel":"verbose","logToStderr":true,"name":"multus-cni-network","type":"multus-shim"}`;

	const benign = [
		[30, date => {
			const cid = hex(64);
			return `${rfc3339(date)} [verbose] ADD starting CNI request ContainerID:"${cid}" Netns:"/var/run/netns/${uid()}" IfName:"eth0" Args:"IgnoreUnknown=1;K8S_POD_NAMESPACE=${pick(namespaces)};K8S_POD_NAME=${podName()};K8S_POD_INFRA_CONTAINER_ID=${cid};K8S_POD_UID=${uid()}" Path:"" StdinData:${stdin()}`;
		}],
		[30, date => `${rfc3339(date)} [verbose] Add: ${pick(namespaces)}:${podName()}:${uid()}:k8s-pod-network(k8s-pod-network):eth0 {"cniVersion":"0.3.1","interfaces":[{"name":"cali${hex(11)}"},{"name":"eth0","sandbox":"/var/run/netns/${uid()}"}],"ips":[{"version":"4","interface":1,"address":"10.244.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}/32"}],"dns":{}}`],
		[25, date => `${rfc3339(date)} [verbose] ADD finished CNI request ContainerID:"${hex(64)}" Netns:"/var/run/netns/${uid()}" IfName:"eth0" Args:"K8S_POD_NAMESPACE=${pick(namespaces)};K8S_POD_NAME=${podName()}", result: "{\\"Result\\":{\\"cniVersion\\":\\"1.1.0\\",\\"interfaces\\":[{\\"mac\\":\\"ee:ee:ee:ee:ee:ee\\",\\"name\\":\\"eth0\\"}]},\\"Error\\":null}", err: <nil>`],
		[20, date => `${rfc3339(date)} [verbose] DEL starting CNI request ContainerID:"${hex(64)}" Netns:"" IfName:"eth0" Args:"IgnoreUnknown=1;K8S_POD_NAMESPACE=${pick(namespaces)};K8S_POD_NAME=${podName()}" Path:""`],
		[20, date => `${rfc3339(date)} [verbose] DEL finished CNI request ContainerID:"${hex(64)}" Netns:"" IfName:"eth0", result: "", err: <nil>`],
		[15, date => `${klog('I', date, 'event.go:377')} Event(v1.ObjectReference{Kind:"Pod", Namespace:"${pick(namespaces)}", Name:"${podName()}", UID:"${uid()}", APIVersion:"v1", ResourceVersion:"${Math.floor(random() * 1e7)}", FieldPath:""}): type: 'Normal' reason: 'AddedInterface' Add eth0 [10.244.1.${Math.floor(random() * 255)}/32] from k8s-pod-network`],
		[3, date => `${rfc3339(date)} [debug] getPodNetworkAnnotation: ${pick(namespaces)}, ${podName()}`],
		[2, date => `${klog('I', date, 'reflector.go:376')} Caches populated for *v1.Pod from k8s.io/client-go/informers/factory.go:160`],
		[1, date => `${rfc3339(date)} [verbose] Filtering pod watch for node "${pick(nodes)}"`],
		[1, date => `${rfc3339(date)} [error] Multus: [${pick(namespaces)}/${podName()}/${uid()}]: error waiting for pod: pod "${podName()}" not found`],
	];
	const core = (verb, u, q) => `pods is forbidden: User ${q}${u}${q} cannot ${verb} resource ${q}pods${q} in API group ${q}${q} at the cluster scope`;
	// Each returns the lines of one occurrence and the verb each line denies.
	const forbidden = [
		date => {
			const u = user();
			return [
				[`${klog('W', date, 'reflector.go:533')} k8s.io/client-go/informers/factory.go:150: failed to list *v1.Pod: ${core('list', u, '"')}`, 'list'],
				[`${klog('E', date, 'reflector.go:148')} k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: failed to list *v1.Pod: ${core('list', u, '"')}`, 'list'],
			];
		},
		date => {
			const u = user();
			return [
				[`${klog('W', date, 'reflector.go:539')} k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: ${core('list', u, '"')}`, 'list'],
				[`${klog('E', date, 'reflector.go:147')} k8s.io/client-go/informers/factory.go:159: Failed to watch *v1.Pod: failed to list *v1.Pod: ${core('list', u, '"')}`, 'list'],
			];
		},
		date => {
			const u = user();
			return [
				[`${klog('W', date, 'reflector.go:569')} k8s.io/client-go/informers/factory.go:160: failed to list *v1.Pod: ${core('list', u, '"')}`, 'list'],
				[`${klog('E', date, 'reflector.go:166')} "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to list *v1.Pod: ${core('list', u, '\\"')}" logger="UnhandledError"`, 'list'],
			];
		},
		date => [[`${klog('E', date, 'reflector.go:205')} "Failed to watch" err="failed to list *v1.Pod: ${core('list', user(), '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Pod"`, 'list']],
		date => [[`${klog('E', date, 'reflector.go:204')} "Failed to watch" err="failed to list *v1.Pod: ${core('list', user(), '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:161" type="*v1.Pod"`, 'list']],
		date => [[`${klog('E', date, 'reflector.go:148')} k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)`, 'watch']],
		date => [[`${klog('E', date, 'reflector.go:204')} "Failed to watch" err="${core('watch', user(), '\\"')}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:161" type="*v1.Pod"`, 'watch']],
	];
	const lookalikes = [
		date => `${klog('W', date, 'reflector.go:539')} k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods?fieldSelector=spec.nodeName%3D${pick(nodes)}&limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: ${pick(['connection timed out', 'connection refused', 'no route to host'])}`,
		date => `${klog('E', date, 'reflector.go:158')} "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: failed to list *v1.Pod: Get \\"https://10.96.0.1:443/api/v1/pods?limit=500&resourceVersion=0\\": net/http: TLS handshake timeout" logger="UnhandledError"`,
		date => `${rfc3339(date)} [error] failed to sync pod informer cache`,
		date => `${klog('E', date, 'event.go:359')} Server rejected event '&v1.Event{}': 'events is forbidden: User "${user()}" cannot patch resource "events" in API group "" in the namespace "${pick(namespaces)}"' (will not retry!)`,
		date => {
			const ns = pick(namespaces);
			const pod = podName();
			return `${rfc3339(date)} [error] Multus: [${ns}/${pod}]: error getting pod: pods "${pod}" is forbidden: User "${user()}" cannot get resource "pods" in API group "" in the namespace "${ns}"`;
		},
	];
	const benignWeight = benign.reduce((sum, [weight]) => sum + weight, 0);
	function benignLine(date) {
		let roll = random() * benignWeight;
		for (const [weight, make] of benign) {
			roll -= weight;
			if (roll < 0) return make(date);
		}
		return benign[0][1](date);
	}
	function prefix(mode, date) {
		if (mode === 'mixed') mode = pick(['none', 'cri', 'timestamps', 'kubectl']);
		if (mode === 'cri') return `${nano(date)} stderr F `;
		if (mode === 'timestamps') return `${nano(date)} `;
		if (mode === 'kubectl') return `[pod/kube-multus-ds-${hex(5)}/kube-multus] `;
		return '';
	}
	// The NAD informer's denial: a forbidden family of its own (nads-forbidden), not a look-alike.
	const nadsForbidden = date => `${klog('E', date, 'reflector.go:205')} "Failed to watch" err="failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User \\"${user()}\\" cannot list resource \\"network-attachment-definitions\\" in API group \\"k8s.cni.cncf.io\\" at the cluster scope" logger="UnhandledError" reflector="github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/client/informers/externalversions/factory.go:117" type="*v1.NetworkAttachmentDefinition"`;
	return {tick, benignLine, forbidden: date => pick(forbidden)(date), lookalike: date => pick(lookalikes)(date), nadsForbidden, prefix};
}

/** Generates about `bytes` of log as batches of text; `stats` is filled as it goes. */
export function* generateLog({bytes, rate = 0.001, lookalikeRate = 0.0005, seed = 1, prefix = 'none', newline = '\n'}, stats) {
	const random = randomSource(seed);
	const lines = makeLineFactory(random);
	let batch = [];
	let batchBytes = 0;
	let written = 0;
	const emit = text => {
		const line = text + newline;
		batch.push(line);
		batchBytes += line.length;
		stats.lines++;
	};
	while (written + batchBytes < bytes) {
		const date = lines.tick();
		const roll = random();
		if (roll < rate) {
			for (const [text, verb] of lines.forbidden(date)) {
				emit(lines.prefix(prefix, date) + text);
				stats.podsForbidden++;
				stats.forbiddenByVerb[verb]++;
			}
		} else if (roll < rate + lookalikeRate) {
			if (random() < 1 / 7) {
				emit(lines.prefix(prefix, date) + lines.nadsForbidden(date));
				stats.nadsForbidden++;
			} else {
				emit(lines.prefix(prefix, date) + lines.lookalike(date));
				stats.lookalikes++;
			}
		} else {
			emit(lines.prefix(prefix, date) + lines.benignLine(date));
		}
		if (batchBytes >= 1 << 20) {
			yield batch.join('');
			written += batchBytes;
			batch = [];
			batchBytes = 0;
		}
	}
	if (batch.length > 0) yield batch.join('');
}

async function main() {
	const {values} = parseArgs({
		options: {
			mb: {type: 'string', default: '10'},
			rate: {type: 'string', default: '0.001'},
			lookalikes: {type: 'string', default: '0.0005'},
			seed: {type: 'string', default: '1'},
			prefix: {type: 'string', default: 'none'},
			crlf: {type: 'boolean', default: false},
			output: {type: 'string', short: 'o'},
		},
	});
	const mb = Number(values.mb);
	const rate = Number(values.rate);
	const lookalikeRate = Number(values.lookalikes);
	const seed = Number(values.seed);
	if (!(mb > 0) || !(rate >= 0 && rate <= 1) || !(lookalikeRate >= 0 && lookalikeRate <= 1) || !Number.isInteger(seed)) {
		process.stderr.write('usage: gen-log.mjs [--mb N] [--rate 0..1] [--lookalikes 0..1] [--seed INT] [--prefix none|cri|timestamps|kubectl|mixed] [--crlf] [-o FILE]\n');
		process.exitCode = 2;
		return;
	}
	if (!['none', 'cri', 'timestamps', 'kubectl', 'mixed'].includes(values.prefix)) {
		process.stderr.write(`gen-log: unknown --prefix "${values.prefix}"\n`);
		process.exitCode = 2;
		return;
	}
	const out = values.output ? createWriteStream(values.output) : process.stdout;
	const stats = {bytes: 0, lines: 0, podsForbidden: 0, nadsForbidden: 0, lookalikes: 0, forbiddenByVerb: {list: 0, watch: 0}};
	const options = {bytes: mb * 1024 * 1024, rate, lookalikeRate, seed, prefix: values.prefix, newline: values.crlf ? '\r\n' : '\n'};
	for (const batch of generateLog(options, stats)) {
		stats.bytes += Buffer.byteLength(batch);
		if (!out.write(batch)) await once(out, 'drain');
	}
	if (out !== process.stdout) {
		out.end();
		await once(out, 'finish');
	}
	process.stderr.write(JSON.stringify(stats) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

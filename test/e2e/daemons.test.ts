// The real multus-daemon behind the local cluster's pods (scripts/multus-pods.ts): one per thick pod, as the pod's
// identity, living and dying with its pod and its cluster; and the simulator held to the real daemons' lines.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {
	applyScenario,
	clusterDir,
	daemonPids,
	deleteScenario,
	kubectl,
	kubectlJson,
	podLog,
	realDaemons,
	repoRoot,
	secondsToReady,
	waitFor,
	multusServiceAccount,
} from '../helpers/cluster.js';

const builtVersions = execFileSync('bash', ['-c', `. ${path.join(repoRoot, 'scripts/versions.sh')} && echo $MULTUS_VERSIONS`]).toString().trim().split(/\s+/);

function multusPods(namespace = 'kube-system', selector = 'name=multus'): any[] {
	return kubectlJson(['-n', namespace, 'get', 'pods', '-l', selector]).items;
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** The environment a process runs with (what the kubelet stand-in gave the daemon). */
function environ(pid: number): Record<string, string> {
	return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map(entry => {
		const at = entry.indexOf('=');
		return [entry.slice(0, at), entry.slice(at + 1)];
	}));
}

describe('real daemons behind the pods', () => {
	after(() => {
		deleteScenario('broken-thick');
		deleteScenario('thin');
	});

	test('each thick pod runs the real daemon of its release, as its ServiceAccount, on its node; the host keeps only an empty mount point', async () => {
		applyScenario('broken-thick');
		const pods = multusPods();
		const daemons = await waitFor('a daemon per pod', () => {
			const found = realDaemons();
			return pods.every(pod => found.some(d => d.uid === pod.metadata.uid && d.pid)) && found;
		});
		const newest = builtVersions.at(-1);
		for (const pod of pods) {
			const daemon = daemons.find(d => d.uid === pod.metadata.uid)!;
			assert.equal(daemon.node, pod.spec.nodeName);
			assert.equal(daemon.version, newest, 'snapshot-thick follows master: the newest built daemon serves it');
			assert.ok(alive(daemon.pid!));
			const env = environ(daemon.pid!);
			assert.equal(env['MULTUS_NODE_NAME'], pod.spec.nodeName, 'from the pod spec, through the downward API');
			assert.equal(env['KUBERNETES_SERVICE_HOST'], '127.0.0.1');
			const log = await waitFor(`${pod.metadata.name}'s forbidden line`, () => {
				const text = podLog('kube-system', pod.metadata.name, 'kube-multus');
				return text?.includes('is forbidden') && text;
			});
			// The daemon's own words: its client-go names the user it authenticated as (the pod's ServiceAccount token).
			assert.match(log, new RegExp(`pods is forbidden: User \\\\"${multusServiceAccount}\\\\" cannot list resource \\\\"pods\\\\"`));
			assert.match(log, /reflector="k8s\.io\/client-go\/informers\/factory\.go:\d+" type="\*v1\.Pod"/);
			assert.match(log, new RegExp(`Filtering pod watch for node "${pod.spec.nodeName}"`));
		}
		assert.deepEqual(daemonPids().sort(), daemons.map(d => d.pid!).sort(), 'one process per pod, nothing else');
		assert.deepEqual(readdirSync('/var/run/secrets/kubernetes.io/serviceaccount'), [], 'tokens only inside the daemons\' own mount namespaces');
	});

	test('a deleted pod\'s daemon stops; the DaemonSet\'s replacement pod gets a daemon of its own', async () => {
		const [pod] = multusPods();
		const daemon = realDaemons().find(d => d.uid === pod.metadata.uid)!;
		kubectl(['-n', 'kube-system', 'delete', 'pod', pod.metadata.name, '--wait=false']);
		await waitFor('the deleted pod\'s daemon to exit', () => !alive(daemon.pid!), 20_000);
		const replacement = await waitFor('a replacement pod with a daemon', () => {
			const pods = multusPods().filter(p => p.spec.nodeName === pod.spec.nodeName && p.metadata.uid !== pod.metadata.uid);
			const found = realDaemons().find(d => pods.some(p => p.metadata.uid === d.uid) && d.pid);
			return found;
		}, 30_000);
		assert.notEqual(replacement.pid, daemon.pid);
		assert.equal(realDaemons().some(d => d.uid === pod.metadata.uid), false, 'its directory is gone with it');
	});

	test('a rollout replaces every daemon: each new pod has a new daemon, no old one is left running', async () => {
		const before = realDaemons();
		kubectl(['-n', 'kube-system', 'rollout', 'restart', 'ds/kube-multus-ds']);
		kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=120s']);
		const nodes = kubectlJson(['get', 'nodes']).items.length;
		const after = await waitFor('a daemon for each new pod, the old ones gone', () => {
			const pods = multusPods().filter(p => !p.metadata.deletionTimestamp);
			const found = realDaemons().filter(d => d.pid);
			const current = pods.length === nodes && pods.every(p => found.some(d => d.uid === p.metadata.uid)) && before.every(d => !alive(d.pid!));
			return current && found;
		}, 60_000);
		assert.equal(after.length, nodes);
		assert.equal(after.filter(d => before.some(old => old.uid === d.uid)).length, 0);
		// As a kubelet on each node would: the new daemons start one after another, as the rollout reaches their node.
		const starts = after.map(d => Date.parse(d.startedAt!)).sort((a, b) => a - b);
		assert.ok(starts.at(-1)! > starts[0]!, `started one by one: ${after.map(d => d.startedAt).join(', ')}`);
		assert.deepEqual(daemonPids().sort(), after.map(d => d.pid!).sort());
	});

	test('thin pods run no daemon: their output stays simulated', async () => {
		deleteScenario('broken-thick');
		await waitFor('no daemon left', () => daemonPids().length === 0, 20_000);
		applyScenario('thin');
		const [pod] = multusPods();
		const log = await waitFor('the thin entrypoint\'s lines', () => podLog('kube-system', pod.metadata.name));
		assert.match(log, /Config file created @ \/host\/etc\/cni\/net\.d\/00-multus\.conf/);
		assert.deepEqual(daemonPids(), []);
	});
});

/**
 * A line's shape: what stays when the values of one run are taken out (times, pids, microseconds, node names,
 * paths). The reflector name and line, the klog file:line, the structured keys, the error text stay.
 */
function shape(line: string): string {
	return line
		.replace(/^[EWI]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ /, m => `${m[0]}MMDD hh:mm:ss.us PID `)
		.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /, 'TIME ')
		.replace(/node-\d+/g, 'NODE')
		.replace(/(?<![\w.])\/[^\s"\\,}]+/g, 'PATH');
}

function linesOf(log: string): string[] {
	return log.split('\n').filter(Boolean);
}

/** Seconds from the first line to the first line matching, in a log's own timestamps (multus's or klog's). */
function secondsUntil(lines: string[], pattern: RegExp): number | undefined {
	const time = (line: string) => {
		const multus = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) /.exec(line);
		if (multus) return Date.parse(multus[1]!);
		const klog = /^[EWI](\d\d)(\d\d) (\d\d:\d\d:\d\d\.\d{6})/.exec(line);
		return klog ? Date.parse(`${new Date().getUTCFullYear()}-${klog[1]}-${klog[2]}T${klog[3]}Z`) : undefined;
	};
	const start = time(lines[0]!);
	const hit = lines.find(line => pattern.test(line));
	return start === undefined || !hit ? undefined : (time(hit)! - start) / 1000;
}

/** Gaps, in seconds, between an informer's successive forbidden lines (its reflector's retries). */
function retryGaps(lines: string[], type: string): number[] {
	const stamps = lines.filter(line => /^E\d{4} /.test(line) && line.includes(`failed to list ${type}`))
		.map(line => /^E\d{4} (\d\d):(\d\d):(\d\d\.\d{6})/.exec(line)!).map(([, h, m, s]) => Number(h) * 3600 + Number(m) * 60 + Number(s));
	return stamps.slice(1).map((stamp, i) => stamp - stamps[i]!);
}

describe('the simulator prints what the real daemons print', () => {
	const namespace = 'kube-system';
	after(() => {
		kubectl(['-n', namespace, 'delete', 'ds', '-l', 'sim-vs-real=yes', '--wait=true']);
		deleteScenario('broken-thick');
	});

	test('for every built release, on the same role denying pods and NADs list/watch: the same line shapes, start-up, cache-sync failures, readiness and backoff', async () => {
		// One DaemonSet pair per release on one node: the real daemon and the simulator (annotated), same ServiceAccount.
		const node = kubectlJson(['get', 'nodes']).items[0].metadata.name;
		const objects: any[] = [];
		for (const version of builtVersions) {
			for (const kind of ['real', 'sim']) {
				const name = `multus-${kind}-${version.replaceAll('.', '-')}`;
				objects.push({
					apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: {name, namespace, labels: {'sim-vs-real': 'yes'}},
					spec: {
						selector: {matchLabels: {app: name}},
						template: {
							metadata: {labels: {app: name, 'sim-vs-real': 'yes'}, annotations: kind === 'sim' ? {'kubectl-multus.test/daemon': 'simulated'} : {}},
							spec: {
								serviceAccountName: 'multus', nodeSelector: {'kubernetes.io/hostname': node},
								containers: [{
									name: 'kube-multus', image: `ghcr.io/k8snetworkplumbingwg/multus-cni:${version}-thick`,
									command: ['/usr/src/multus-cni/bin/multus-daemon'],
									env: [{name: 'MULTUS_NODE_NAME', valueFrom: {fieldRef: {fieldPath: 'spec.nodeName'}}}],
									volumeMounts: [{name: 'config', mountPath: '/etc/cni/net.d/multus.d', readOnly: true}],
								}],
								volumes: [{name: 'config', configMap: {name: 'multus-daemon-config', items: [{key: 'daemon-config.json', path: 'daemon-config.json'}]}}],
							},
						},
					},
				});
			}
		}
		// The broken-thick scenario's role, ServiceAccount, CRD and daemon config, with the NAD grant cut to get.
		applyScenario('broken-thick');
		kubectl(['patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'replace', path: '/rules/0/verbs', value: ['get']}])]);
		kubectl(['-n', namespace, 'delete', 'ds', 'kube-multus-ds', '--wait=true']);
		kubectl(['apply', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}));
		const logs = await waitFor('every daemon past its start-up (both caches given up, then ready)', () => {
			const pods = multusPods(namespace, 'sim-vs-real=yes');
			if (pods.length !== objects.length) return undefined;
			const texts = pods.map(pod => [pod.metadata.labels.app, podLog(namespace, pod.metadata.name) ?? ''] as const);
			return texts.every(([, text]) => text.includes('API readiness check done!')) && Object.fromEntries(texts);
		}, 90_000);
		const realPids = realDaemons().filter(d => d.pid).length;
		assert.equal(realPids, builtVersions.length, 'the real ones are real daemons, the simulated ones are not');
		for (const version of builtVersions) {
			const key = version.replaceAll('.', '-');
			const real = linesOf(logs[`multus-real-${key}`]!);
			const sim = linesOf(logs[`multus-sim-${key}`]!);
			const shapes = (lines: string[]) => [...new Set(lines.map(shape))].sort();
			assert.deepEqual(shapes(sim), shapes(real), `${version}: the simulator's lines have the real daemon's shapes`);
			for (const lines of [real, sim]) {
				const who = lines === real ? `${version} real` : `${version} simulated`;
				assert.match(lines[0]!, /\[verbose\] multus-daemon started$/, who);
				const podSync = secondsUntil(lines, /\[error\] failed to sync pod informer cache/);
				const nadSync = secondsUntil(lines, /\[error\] failed to sync net-attach-def informer cache/);
				const ready = secondsUntil(lines, /API readiness check done!/);
				assert.ok(podSync !== undefined && podSync >= 18 && podSync <= 23, `${who}: pod cache given up after 20 s (${podSync})`);
				assert.ok(nadSync !== undefined && nadSync >= 38 && nadSync <= 43, `${who}: NAD cache given up 20 s later (${nadSync})`);
				assert.ok(ready !== undefined && ready >= nadSync, `${who}: ready only after both waits`);
				for (const type of ['*v1.Pod', '*v1.NetworkAttachmentDefinition']) {
					const gaps = retryGaps(lines, type);
					assert.ok(gaps.length >= 3, `${who}: ${type} retried (${gaps.join(', ')})`);
					assert.ok(gaps[0]! > 0.3 && gaps[0]! < 3, `${who}: ${type} first retry under 3 s (${gaps[0]})`);
					assert.ok(Math.max(...gaps) > 4 && Math.max(...gaps) <= 40, `${who}: ${type} backing off (${gaps.join(', ')})`);
				}
			}
		}
	});
});

describe('no daemon outlives its cluster', () => {
	const name = `${process.env['CLUSTER_NAME'] ?? 'multus-test'}-life`;
	const env = {...process.env, CLUSTER_NAME: name};
	const cluster = (...args: string[]) => execFileSync('bash', [path.join(repoRoot, 'scripts/cluster'), ...args], {env, stdio: ['ignore', 'pipe', 'pipe']}).toString();
	const dir = () => path.dirname(cluster('kubeconfig').trim());
	after(() => spawnSync('bash', [path.join(repoRoot, 'scripts/cluster'), 'down'], {env}));

	test('a killed supervisor takes its daemons with it; `down` leaves no daemon', async () => {
		cluster('up', '--nodes', '1');
		cluster('apply', 'broken-thick');
		const first = daemonPids(dir());
		assert.equal(first.length, 1);
		const supervisor = Number(readFileSync(path.join(dir(), 'multus-pods.pid'), 'utf8'));
		process.kill(supervisor, 'SIGKILL'); // a crashed run: nothing gets to clean up
		await waitFor('the daemon to die with its supervisor', () => daemonPids(dir()).length === 0 && !alive(first[0]!), 10_000);

		cluster('up', '--nodes', '1');
		cluster('apply', 'broken-thick');
		const second = daemonPids(dir());
		assert.equal(second.length, 1);
		const clusterDirectory = dir();
		cluster('down');
		assert.deepEqual(daemonPids(clusterDirectory), [], 'no daemon after down');
		assert.ok(!alive(second[0]!));
		assert.equal(clusterDirectory === clusterDir, false, 'a cluster of its own, not the suite\'s');
	});
});

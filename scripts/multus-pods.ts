// The local cluster's kubelet for Multus pods: kwok runs no containers, so for every Multus pod a fake node runs
// this process gives it the output `kubectl logs` returns, and, in real-daemon mode, the real multus-daemon behind it.
//
//   --daemons real   thick pods whose release a built daemon serves (scripts/build-multus, daemonVersionFor) run
//                    that daemon as the pod's identity (scripts/multus-daemon.ts); the rest are simulated
//   --daemons sim    every pod simulated (scripts/multus-sim.ts): the 1000-node benchmark, no daemons built
//
// Either way a pod's output is a CRI log file under <cluster>/multus-logs and a kwok Logs object naming it, there
// from the container's start, as a kubelet serves it; <cluster>/started/<pod uid> marks a daemon that has started
// (its informers' first answer, a reflector error or warning, or its API answering on its socket; a simulated one at
// once), which `scripts/cluster apply` waits for. A pod annotated `kubectl-multus.test/daemon: simulated` is
// simulated whatever the mode (for holding the simulator's lines against the real daemon's).
// A daemon lives and dies with its pod: started when the pod is bound to a node, stopped when it is deleted (a
// rollout replaces them node by node), all stopped when this process is told to stop, killed by the kernel if it
// dies (setpriv --pdeathsig). Per-node-certificate daemons ask for their certificate with a CSR, approved here.
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {CertificatesV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Watch, type V1CertificateSigningRequest, type V1Pod} from '@kubernetes/client-node';
import {daemonVersionFor, logFileOf, multusPod, publishLogs, releaseOf, type MultusPod} from './multus-pod.js';
import {RealDaemon, serviceAccountMount} from './multus-daemon.js';
import {SimulatedDaemon} from './multus-sim.js';

const {values} = parseArgs({options: {
	'cluster-dir': {type: 'string'},
	daemons: {type: 'string', default: 'real'},
	'daemon-bin': {type: 'string'}, // a printf pattern: %s is the version
}});
const clusterDir = values['cluster-dir']!;
const mode = values.daemons === 'sim' ? 'sim' : 'real';
const kc = new KubeConfig();
kc.loadFromFile(path.join(clusterDir, 'kubeconfig.yaml'));
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const certificates = kc.makeApiClient(CertificatesV1Api);
const logDir = path.join(clusterDir, 'multus-logs');
const daemonDir = path.join(clusterDir, 'd');
const startedDir = path.join(clusterDir, 'started');
for (const dir of [logDir, daemonDir, startedDir]) mkdirSync(dir, {recursive: true});
const server = new URL(kc.getCurrentCluster()!.server);
const caCert = readFileSync(path.join(clusterDir, 'pki/ca.crt'), 'utf8');

type Daemon = RealDaemon | SimulatedDaemon;
const daemons = new Map<string, Daemon>(); // by pod uid

function daemonBinary(version: string): string {
	return (values['daemon-bin'] ?? '').replace('%s', version);
}

async function start(pod: MultusPod): Promise<void> {
	if (daemons.has(pod.uid)) return;
	const file = logFileOf(logDir, pod);
	const simulated = mode === 'sim' || !pod.thick || pod.pod.metadata?.annotations?.['kubectl-multus.test/daemon'] === 'simulated';
	const version = simulated ? undefined : daemonVersionFor(releaseOf(pod));
	const daemon = version && existsSync(daemonBinary(version))
		? new RealDaemon(pod, {
			core, apiserver: {host: server.hostname, port: server.port || '443'}, caCert,
			dir: path.join(daemonDir, pod.uid.slice(0, 8)), logFile: file, binary: daemonBinary(version), version,
		})
		: new SimulatedDaemon(pod, file, {core, kc});
	daemons.set(pod.uid, daemon);
	// A started container's log is there from its first moment, empty until it prints (as a kubelet serves it).
	writeFileSync(file, '');
	await publishLogs(custom, pod, file);
	await daemon.start();
	if (daemon instanceof RealDaemon) await Promise.race([daemon.started, new Promise(resolve => setTimeout(resolve, 30_000))]);
	// For `scripts/cluster apply`: this pod's daemon has started.
	if (daemons.get(pod.uid) === daemon) writeFileSync(path.join(startedDir, pod.uid), '');
}

async function stop(uid: string): Promise<void> {
	const daemon = daemons.get(uid);
	if (!daemon) return;
	daemons.delete(uid);
	await daemon.stop();
	rmSync(path.join(startedDir, uid), {force: true});
}

function onPod(type: string, pod: V1Pod): void {
	const uid = pod.metadata?.uid;
	if (!uid) return;
	if (type === 'DELETED' || pod.metadata?.deletionTimestamp) {
		void stop(uid).catch(error => console.error(`stop ${pod.metadata?.name}: ${String(error)}`));
		return;
	}
	const multus = multusPod(pod);
	if (multus) void start(multus).catch(error => console.error(`start ${multus.namespace}/${multus.name}: ${String(error)}`));
}

let resourceVersion: string | undefined;
async function watchPods(): Promise<void> {
	const watch = new Watch(kc);
	await watch.watch(
		'/api/v1/pods',
		{allowWatchBookmarks: true, ...(resourceVersion ? {resourceVersion} : {})},
		(type: string, obj: V1Pod) => {
			if (type === 'ERROR') {
				resourceVersion = undefined;
				return;
			}
			resourceVersion = obj.metadata?.resourceVersion;
			if (type !== 'BOOKMARK') onPod(type, obj);
		},
		() => setTimeout(() => void watchPods().catch(retryWatch), 500),
	);
}

function retryWatch(error: unknown): void {
	console.error(`pod watch: ${String(error)}`);
	resourceVersion = undefined;
	setTimeout(() => void watchPods().catch(retryWatch), 1000);
}

/** Pods deleted while the watch was down: their daemons stop too. */
async function reconcile(): Promise<void> {
	const pods = await core.listPodForAllNamespaces({});
	const alive = new Set(pods.items.filter(p => !p.metadata?.deletionTimestamp).map(p => p.metadata?.uid));
	for (const uid of daemons.keys()) if (!alive.has(uid)) await stop(uid);
}

/**
 * Approves what a per-node-certificate daemon of ours asks for, as multus's cert-approver would: a client
 * certificate (kubernetes.io/kube-apiserver-client) for exactly CN system:multus:<its node>, O system:multus,
 * requested with its pod's ServiceAccount token. Anything else is left alone.
 */
async function approveCertificates(): Promise<void> {
	const waiting = [...daemons.values()].filter((d): d is RealDaemon => d instanceof RealDaemon && d.status.perNodeCertificate);
	if (waiting.length === 0) return;
	const csrs = await certificates.listCertificateSigningRequest({});
	for (const csr of csrs.items) {
		if (csr.status?.conditions?.length || csr.spec.signerName !== 'kubernetes.io/kube-apiserver-client') continue;
		const subject = csrSubject(csr);
		const daemon = waiting.find(d => csr.spec.username === `system:serviceaccount:${d.status.namespace}:${d.pod.serviceAccount}` &&
			subject === `CN=system:multus:${d.status.node},O=system:multus`);
		if (!daemon) continue;
		csr.status = {conditions: [{type: 'Approved', status: 'True', reason: 'MultusPerNodeCertificate', message: `approved by the local cluster for ${daemon.key}`}]};
		await certificates.replaceCertificateSigningRequestApproval({name: csr.metadata!.name!, body: csr});
	}
}

function csrSubject(csr: V1CertificateSigningRequest): string {
	try {
		const pem = Buffer.from(csr.spec.request, 'base64').toString();
		// RFC 2253 order, most specific first: CN=...,O=...
		return execFileSync('openssl', ['req', '-noout', '-subject', '-nameopt', 'RFC2253'], {input: pem, encoding: 'utf8'}).trim().replace(/^subject=/, '');
	} catch {
		return '';
	}
}

let stopping = false;
async function shutdown(): Promise<void> {
	if (stopping) return;
	stopping = true;
	await Promise.allSettled([...daemons.keys()].map(stop));
	rmSync(daemonDir, {recursive: true, force: true});
	process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

if (mode === 'real') mkdirSync(serviceAccountMount, {recursive: true}); // the mount point; the host keeps it empty
setInterval(() => void reconcile().catch(error => console.error(`reconcile: ${String(error)}`)), 10_000).unref();
setInterval(() => void approveCertificates().catch(error => console.error(`approve: ${String(error)}`)), 1000).unref();
await watchPods();
console.log(`multus-pods (${mode} daemons) watching pods; logs in ${logDir}`);
setInterval(() => {}, 1 << 30);

// The benchmark behind `npm run bench` (scripts/bench starts it, and stops the cluster afterwards).
// Measures kubectl-multus from outside: wall time, rusage and /proc for time and memory, the kube-apiserver's
// own audit log for the requests, a loopback TCP proxy for the bytes, a pty for the terminal output.
// Writes OUT/results.json and prints the results table (scripts/bench-report.mjs) to stdout.
//
//   node scripts/bench-run.mjs [--sizes 3,100,1000] [--runs 5] [--proxy-runs 3] [--rollout-sizes 100,1000]
//        [--rollouts 3] [--no-plain-rollout] [--max-unavailable 100=1,1000=10%] [--scan-mb 1024]
//        [--skip startup,scan,scan-bundle,cluster]
//        [--out DIR] [--bin DIR] [--wait-load 1.0]
// --bin: the directory of the kubectl-multus launcher to measure (default bin/; e.g. a patched copy's bin/).
// --wait-load: first wait (up to 30 minutes) until the 1-minute load average is below this.
// Needs CLUSTER_NAME and TOOLS_BIN in the environment (scripts/bench sets them).
import {mkdirSync, writeFileSync, statSync, readFileSync, rmSync, existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';
import {parseAllDocuments} from 'yaml';
import {
	api, auditTime, machineIdle, byteProxy, countBy, cpuBetween, descendants, frameRate, frames, kubeconfigYaml, load, log, median,
	now, procStat, ptySession, readAudit, readKubeconfig, rolloutDone, run, sampler, sleep, timed, uniqueRequests,
	unfilteredPodReads, watchDaemonSet,
} from './bench-lib.mjs';
import {renderReport} from './bench-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {values: options} = parseArgs({
	allowNegative: true,
	options: {
		sizes: {type: 'string', default: '3,100,1000'},
		runs: {type: 'string', default: '5'},
		'proxy-runs': {type: 'string', default: '3'},
		'rollout-sizes': {type: 'string', default: '100,1000'},
		rollouts: {type: 'string', default: '3'},
		'plain-rollout': {type: 'boolean', default: true},
		'max-unavailable': {type: 'string', default: '100=1,1000=10%'},
		'scan-mb': {type: 'string', default: '1024'},
		skip: {type: 'string', default: ''},
		out: {type: 'string'},
		bin: {type: 'string'},
		'wait-load': {type: 'string'},
		rows: {type: 'string', default: '50'},
		cols: {type: 'string', default: '120'},
	},
});
const sizes = options.sizes.split(',').filter(Boolean).map(Number);
const runs = Number(options.runs);
const proxyRuns = Number(options['proxy-runs']);
const rolloutSizes = options['rollout-sizes'].split(',').filter(Boolean).map(Number);
const rollouts = Number(options.rollouts);
const plainRollouts = options['plain-rollout'];
const maxUnavailable = Object.fromEntries(options['max-unavailable'].split(',').filter(Boolean).map(pair => {
	const [size, value] = pair.split('=');
	return [Number(size), /^\d+$/.test(value) ? Number(value) : value];
}));
const skip = new Set(options.skip.split(',').filter(Boolean));
const toolsBin = process.env.TOOLS_BIN;
const clusterName = process.env.CLUSTER_NAME;
if (!toolsBin || !clusterName) throw new Error('run through scripts/bench (TOOLS_BIN and CLUSTER_NAME unset)');
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const out = path.resolve(options.out ?? path.join(root, 'out/bench', stamp));
mkdirSync(out, {recursive: true});
// The launcher under test (bin/kubectl-multus by default; another build's bin/ to compare).
const binDir = path.resolve(options.bin ?? path.join(root, 'bin'));
const launcher = path.join(binDir, 'kubectl-multus');
const devPath = `${binDir}:${toolsBin}:${process.env.PATH}`;
const namespace = 'kube-system';
const dsName = 'kube-multus-ds';
const benchUser = 'kubectl-multus-bench';

const results = {
	meta: {
		date: new Date().toISOString(),
		cpus: os.cpus().length,
		cpuModel: os.cpus()[0]?.model,
		memoryGiB: Math.round(os.totalmem() / 2 ** 30),
		commit: run('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD']).trim(),
		dirty: run('git', ['-C', root, 'status', '--porcelain', '--', 'source', 'bin', 'package.json']).trim().split('\n').filter(Boolean).length,
		launcher,
		bundleBuilt: statSync(path.join(binDir, '../dist/bundle/cli.js')).mtime.toISOString(),
		node: run(path.join(root, 'node_modules/node/bin/node'), ['--version']).trim(),
		kubectl: run(path.join(toolsBin, 'kubectl'), ['version', '--client', '-o', 'json']).match(/"gitVersion":\s*"([^"]+)"/)?.[1],
		options: {sizes, runs, proxyRuns, rolloutSizes, rollouts, maxUnavailable, scanMb: Number(options['scan-mb']), rows: Number(options.rows), cols: Number(options.cols)},
		load: {start: load()},
	},
	startup: undefined,
	scan: undefined,
	scanBundle: undefined,
	sizes: {},
	rollouts: {},
};
const save = () => writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');

// ---- 6. Start-up: `kubectl multus --help` against `kubectl version --client`, with hyperfine --------------------
async function startup() {
	const tarball = path.join(root, 'dist/kubectl-multus_linux_amd64.tar.gz');
	if (!existsSync(tarball)) {
		log('no dist/kubectl-multus_linux_amd64.tar.gz: building it (scripts/package --platforms linux-amd64)');
		run('bash', [path.join(root, 'scripts/package'), '--platforms', 'linux-amd64'], {stdio: 'inherit'});
	}
	const seaDir = path.join(out, 'sea');
	mkdirSync(seaDir, {recursive: true});
	run('tar', ['-xzf', tarball, '-C', seaDir]);
	const seaPath = `${seaDir}:${toolsBin}:${process.env.PATH}`;
	const basePath = `${toolsBin}:${process.env.PATH}`;
	// The floors: kubectl handing over to a plugin that does nothing, and Node starting with nothing to run.
	const noopDir = path.join(out, 'noop');
	mkdirSync(noopDir, {recursive: true});
	writeFileSync(path.join(noopDir, 'kubectl-multus'), '#!/bin/sh\nexit 0\n', {mode: 0o755});
	const commands = [
		['kubectl version --client', `env PATH=${basePath} kubectl version --client`],
		['kubectl multus --help (dev launcher)', `env PATH=${devPath} kubectl multus --help`],
		['kubectl multus --help (linux-amd64 binary)', `env PATH=${seaPath} kubectl multus --help`],
		['bin/kubectl-multus --help (direct)', `${launcher} --help`],
		['kubectl-multus --help (binary, direct)', `${seaDir}/kubectl-multus --help`],
		['floor: kubectl multus, a no-op sh plugin', `env PATH=${noopDir}:${basePath} kubectl multus --help`],
		['floor: node -e 0 (the project\'s Node)', `${root}/node_modules/node/bin/node -e 0`],
	];
	const file = path.join(out, 'hyperfine-startup.json');
	log('start-up: hyperfine, 30 runs each');
	run('hyperfine', ['-N', '--warmup', '3', '--runs', '30', '--export-json', file, ...commands.flatMap(([name, command]) => ['-n', name, command])], {stdio: ['ignore', 'ignore', 'inherit']});
	const measured = JSON.parse(readFileSync(file, 'utf8')).results;
	results.startup = {
		tarballBuilt: statSync(tarball).mtime.toISOString(),
		commands: measured.map(r => ({name: r.command, command: commands.find(([name]) => name === r.command)?.[1], medianMs: r.median * 1000, meanMs: r.mean * 1000, stddevMs: r.stddev * 1000, minMs: r.min * 1000})),
		load: load(),
	};
	rmSync(seaDir, {recursive: true, force: true});
	save();
}

// ---- 7. scan throughput and memory on a generated log, against grep -E ------------------------------------------
// The scanner's two forms of the bug, as one extended regular expression (the scanner's own count must match).
export const grepPattern = String.raw`pods is forbidden: User \\?"[^"\\]+\\?" cannot (list|watch) resource \\?"pods\\?" in API group \\?"\\?" at the cluster scope|Failed to watch \*v1\.Pod: unknown \(get pods\)`;

async function scan() {
	const mb = Number(options['scan-mb']);
	const big = path.join(out, `scan-${mb}mb.log`);
	const small = path.join(out, 'scan-128mb.log');
	log(`scan: generating a ${mb} MiB log (scripts/gen-log.mjs --mb ${mb} --seed 1)`);
	const generated = await timed(path.join(root, 'node_modules/node/bin/node'), [path.join(root, 'scripts/gen-log.mjs'), '--mb', String(mb), '--seed', '1', '-o', big]);
	const truth = JSON.parse(generated.stderr.trim().split('\n').pop());
	// The same seed gives the same stream, so the first 128 MiB is the small log (cut mid-line at most once).
	run('sh', ['-c', `head -c ${128 << 20} '${big}' > '${small}'`]);
	run('sh', ['-c', `cat '${big}' '${small}' > /dev/null`]); // warm the page cache for both tools
	const scanOnce = file => timed(launcher, ['scan', file, '-o', 'json']);
	const grepOnce = file => timed('grep', ['-E', '-c', grepPattern, file], {env: {...process.env, LC_ALL: 'C'}});
	const grepUtf8Once = file => timed('grep', ['-E', '-c', grepPattern, file], {env: {...process.env, LC_ALL: 'C.UTF-8'}});
	const rows = {scan: [], grep: [], grepUtf8: [], scanSmall: []};
	for (let i = 0; i < 3; i++) {
		log(`scan: run ${i + 1}/3`);
		rows.scan.push(await scanOnce(big));
		rows.grep.push(await grepOnce(big));
		rows.grepUtf8.push(await grepUtf8Once(big));
		rows.scanSmall.push(await scanOnce(small));
	}
	const bytes = statSync(big).size;
	const smallBytes = statSync(small).size;
	const summary = list => ({medianMs: median(list.map(r => r.ms)), peakRssKB: Math.max(...list.map(r => r.rssKB)), medianCpuS: median(list.map(r => r.cpuS)), codes: [...new Set(list.map(r => r.code))]});
	const scanReport = JSON.parse(rows.scan[0].stdout);
	results.scan = {
		bytes,
		smallBytes,
		truth,
		generateMs: generated.ms,
		scanCount: scanReport.summary.podsForbidden,
		scanLines: scanReport.summary.lines,
		grepCount: Number(rows.grep[0].stdout.trim()),
		scan: summary(rows.scan),
		scanSmall: summary(rows.scanSmall),
		grep: summary(rows.grep),
		grepUtf8: summary(rows.grepUtf8),
		pattern: grepPattern,
		load: load(),
	};
	for (const key of ['scan', 'grep', 'grepUtf8']) results.scan[key].mbPerS = bytes / 2 ** 20 / (results.scan[key].medianMs / 1000);
	results.scan.scanSmall.mbPerS = smallBytes / 2 ** 20 / (results.scan.scanSmall.medianMs / 1000);
	rmSync(big, {force: true});
	rmSync(small, {force: true});
	save();
}

// ---- 7b. scan of a support bundle: a large .tar.gz of pod logs, in constant memory -----------------------------
// The generated log, cut at line ends into 16 MiB pod logs laid out as `kubectl multus report --bundle` lays them
// out (multus-report/logs/kube-system/<pod>/kube-multus.log, and report.md and report.json), tarred and gzip'd
// (by tar and gzip -1: the bench may use them, the product never does). The small bundle is its first 8 logs.
async function scanBundle() {
	const mb = Number(options['scan-mb']);
	const work = path.join(out, 'scan-bundle');
	const logs = path.join(work, 'multus-report/logs/kube-system');
	mkdirSync(logs, {recursive: true});
	const whole = path.join(work, 'whole.log');
	log(`scan-bundle: generating a ${mb} MiB log (scripts/gen-log.mjs --mb ${mb} --seed 2) and cutting it into 16 MiB pod logs`);
	const generated = await timed(path.join(root, 'node_modules/node/bin/node'), [path.join(root, 'scripts/gen-log.mjs'), '--mb', String(mb), '--seed', '2', '-o', whole]);
	const truth = JSON.parse(generated.stderr.trim().split('\n').pop());
	run('split', ['-C', String(16 << 20), '-d', '-a', '4', whole, path.join(work, 'part-')]);
	rmSync(whole, {force: true});
	const parts = run('sh', ['-c', `ls '${work}' | grep '^part-'`]).trim().split('\n');
	for (const part of parts) {
		const pod = path.join(logs, `kube-multus-ds-${part.slice(5)}`);
		mkdirSync(pod);
		run('mv', [path.join(work, part), path.join(pod, 'kube-multus.log')]);
	}
	writeFileSync(path.join(work, 'multus-report/report.md'), '# kubectl multus report (bench)\n');
	writeFileSync(path.join(work, 'multus-report/report.json'), '{}\n');
	const big = path.join(out, `scan-bundle-${mb}mb.tar.gz`);
	const small = path.join(out, 'scan-bundle-128mb.tar.gz');
	const pods = parts.map(part => `multus-report/logs/kube-system/kube-multus-ds-${part.slice(5)}`);
	run('sh', ['-c', `tar -C '${work}' -cf - --sort=name multus-report | gzip -1 > '${big}'`]);
	run('sh', ['-c', `tar -C '${work}' -cf - multus-report/report.md multus-report/report.json ${pods.slice(0, 8).map(pod => `'${pod}'`).join(' ')} | gzip -1 > '${small}'`]);
	const smallBytes = pods.slice(0, 8).reduce((sum, pod) => sum + statSync(path.join(work, pod, 'kube-multus.log')).size, 0);
	rmSync(work, {recursive: true, force: true});
	run('sh', ['-c', `cat '${big}' '${small}' > /dev/null`]);
	const scanOnce = file => timed(launcher, ['scan', file, '-o', 'json']);
	const gunzipOnce = file => timed('sh', ['-c', `gzip -dc '${file}' > /dev/null`]);
	const rows = {scan: [], scanSmall: [], gunzip: []};
	for (let i = 0; i < 3; i++) {
		log(`scan-bundle: run ${i + 1}/3`);
		rows.scan.push(await scanOnce(big));
		rows.scanSmall.push(await scanOnce(small));
		rows.gunzip.push(await gunzipOnce(big));
	}
	const summary = list => ({medianMs: median(list.map(r => r.ms)), peakRssKB: Math.max(...list.map(r => r.rssKB)), medianCpuS: median(list.map(r => r.cpuS)), codes: [...new Set(list.map(r => r.code))]});
	const report = JSON.parse(rows.scan[0].stdout);
	const smallReport = JSON.parse(rows.scanSmall[0].stdout);
	results.scanBundle = {
		bytes: truth.bytes,
		smallBytes,
		compressedBytes: statSync(big).size,
		smallCompressedBytes: statSync(small).size,
		files: parts.length,
		truth,
		scanFiles: report.summary.files.length,
		smallFiles: smallReport.summary.files.length,
		scanCount: report.summary.podsForbidden,
		scanLines: report.summary.lines,
		scanBytes: report.summary.bytes,
		skipped: report.summary.skippedFiles,
		scan: summary(rows.scan),
		scanSmall: summary(rows.scanSmall),
		gunzip: summary(rows.gunzip),
		load: load(),
	};
	for (const key of ['scan', 'gunzip']) results.scanBundle[key].mbPerS = truth.bytes / 2 ** 20 / (results.scanBundle[key].medianMs / 1000);
	results.scanBundle.scanSmall.mbPerS = smallBytes / 2 ** 20 / (results.scanBundle.scanSmall.medianMs / 1000);
	rmSync(big, {force: true});
	rmSync(small, {force: true});
	save();
}

// ---- the cluster ---------------------------------------------------------------------------------------------------
const cluster = (...args) => run('bash', [path.join(root, 'scripts/cluster'), ...args], {env: {...process.env, CLUSTER_AUDIT: '1'}, stdio: ['ignore', 'pipe', 'inherit']});
let admin; // the admin credentials (kwok-admin, system:masters)
let auditFile;
let doctorKubeconfig; // a distinct user, so the audit log tells the doctor's requests from everyone else's
let proxyKubeconfig; // the same user through the byte-counting proxy
let proxy;
const adminEnv = () => ({...process.env, KUBECONFIG: cluster('kubeconfig').trim(), PATH: `${toolsBin}:${process.env.PATH}`});
const doctorEnv = kubeconfig => ({...process.env, KUBECONFIG: kubeconfig, PATH: devPath});

async function startCluster(nodes) {
	log(`cluster: up --nodes ${nodes} (CLUSTER_NAME=${clusterName}, CLUSTER_AUDIT=1)`);
	// Simulated daemons: the benchmark grows to 1000 nodes, where 1000 real ones would not fit on the machine.
	cluster('up', '--nodes', String(nodes), '--daemons', 'sim');
	cluster('apply', 'broken-thick');
	const kubeconfig = cluster('kubeconfig').trim();
	admin = readKubeconfig(kubeconfig);
	auditFile = path.join(path.dirname(kubeconfig), 'logs/audit.log');
	// A client certificate for user kubectl-multus-bench in group system:masters, signed by the cluster's CA.
	const pki = path.dirname(admin.caFile);
	const key = path.join(out, 'bench-user.key');
	const crt = path.join(out, 'bench-user.crt');
	run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', `/O=system:masters/CN=${benchUser}`, '-out', path.join(out, 'bench-user.csr')]);
	run('openssl', ['x509', '-req', '-in', path.join(out, 'bench-user.csr'), '-CA', admin.caFile, '-CAkey', path.join(pki, 'ca.key'), '-set_serial', String(Date.now()), '-days', '1', '-out', crt]);
	proxy = await byteProxy('127.0.0.1', Number(new URL(admin.server).port));
	doctorKubeconfig = path.join(out, 'kubeconfig-bench.yaml');
	proxyKubeconfig = path.join(out, 'kubeconfig-bench-proxy.yaml');
	writeFileSync(doctorKubeconfig, kubeconfigYaml({server: admin.server, caFile: admin.caFile, certFile: crt, keyFile: key, name: 'bench'}));
	writeFileSync(proxyKubeconfig, kubeconfigYaml({server: `https://127.0.0.1:${proxy.port}`, caFile: admin.caFile, certFile: crt, keyFile: key, name: 'bench-proxy'}));
}

async function daemonSet() {
	return api(admin, 'GET', `/apis/apps/v1/namespaces/${namespace}/daemonsets/${dsName}`);
}

async function waitRolledOut(timeoutMs = 900_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const ds = await daemonSet().catch(error => {
			log(`reading the DaemonSet: ${error.message}; retrying`);
			return undefined;
		});
		if (ds && rolloutDone(ds) && ds.status.desiredNumberScheduled > 0) return ds;
		if (Date.now() > deadline) throw new Error(`DaemonSet not rolled out after ${timeoutMs / 1000}s`);
		await sleep(500);
	}
}

/** Puts the scenario's ClusterRole rules back (the doctor's fix undone), so the next doctor finds the bug again. */
async function rebreak() {
	const docs = parseAllDocuments(readFileSync(path.join(root, 'scenarios/broken-thick.yaml'), 'utf8')).map(doc => doc.toJS());
	for (const role of docs.filter(doc => doc?.kind === 'ClusterRole')) {
		await api(admin, 'PATCH', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role.metadata.name}`, {
			rules: role.rules,
			metadata: {annotations: {'kubectl-multus.dev/previous-rules': null, 'kubectl-multus.dev/change': null}},
		});
	}
	await sleep(500); // the RBAC authorizer's cache
}

async function scaleTo(nodes) {
	log(`cluster: scale ${nodes}`);
	cluster('scale', String(nodes));
	const ds = await waitRolledOut();
	log(`cluster: ${ds.status.numberAvailable}/${ds.status.desiredNumberScheduled} multus pods available`);
	await sleep(3000); // every new pod's simulated daemon writes its first forbidden lines
}

/**
 * Waits (at most 2 minutes) until the machine is at least half idle over 5 s, so the scale-up's own burst
 * (node heartbeats, 1000 pods starting) is over; the steady cost of a bigger cluster stays in the measurement.
 */
async function settle() {
	const deadline = Date.now() + 120_000;
	let idle = await machineIdle(5000);
	while (idle < 0.5 && Date.now() < deadline) idle = await machineIdle(5000);
	log(`machine ${Math.round(idle * 100)}% idle`);
	return Math.round(idle * 100) / 100;
}

function auditSince(offset) {
	return readAudit(auditFile, offset, [`"username":"${benchUser}"`, '"resource":"daemonsets"']);
}

const auditSize = () => statSync(auditFile).size;

/** The bench user's requests inside [start, end], one per audit ID. */
function doctorRequests(events, start, end) {
	return uniqueRequests(events.filter(e => e.user?.username === benchUser)).filter(e => {
		const t = auditTime(e.requestReceivedTimestamp);
		return t >= start - 5 && t <= end + 5;
	});
}

function requestSummary(requests) {
	const byKey = countBy(requests);
	const logReads = byKey['get pods/log'] ?? 0;
	return {total: requests.length, logReads, toVerdict: requests.length - logReads, byKey, unfilteredPodReads: unfilteredPodReads(requests).map(e => `${e.verb} ${e.requestURI}`)};
}

// ---- 1-3. time to verdict, requests, bytes, memory -------------------------------------------------------------
async function verdict(size) {
	await rebreak();
	const idleBefore = await settle();
	const args = ['doctor', '--check', '-o', 'json'];
	const viaKubectl = () => timed('kubectl', ['multus', ...args], {env: doctorEnv(doctorKubeconfig)});
	const direct = () => timed(launcher, args, {env: doctorEnv(doctorKubeconfig)});
	const offset = auditSize();
	log(`verdict at ${size} nodes: warm-up`);
	await viaKubectl();
	await direct();
	const rows = {kubectl: [], direct: [], proxied: [], bounded: undefined};
	for (let i = 0; i < runs; i++) {
		log(`verdict at ${size} nodes: run ${i + 1}/${runs}`);
		rows.kubectl.push(await viaKubectl());
		rows.direct.push(await direct());
	}
	for (let i = 0; i < proxyRuns; i++) {
		proxy.take();
		const row = await timed(launcher, args, {env: doctorEnv(proxyKubeconfig)});
		rows.proxied.push({...row, bytes: proxy.take()});
	}
	// Bounded log reads: the flags must cap what is read.
	proxy.take();
	const bounded = await timed(launcher, [...args, '--log-pods', '2', '--log-bytes', '4096'], {env: doctorEnv(proxyKubeconfig)});
	rows.bounded = {...bounded, bytes: proxy.take()};
	await sleep(500);
	const {events} = auditSince(offset);
	const perRun = row => requestSummary(doctorRequests(events, row.start, row.end));
	const timedRuns = [...rows.kubectl, ...rows.direct];
	const requestRuns = timedRuns.map(perRun);
	const verdictOf = row => {
		try {
			return JSON.parse(row.stdout).verdict;
		} catch {
			return `unparsable (exit ${row.code}): ${row.stderr.slice(0, 200)}`;
		}
	};
	const summary = list => ({
		medianMs: median(list.map(r => r.ms)),
		minMs: Math.min(...list.map(r => r.ms)),
		maxMs: Math.max(...list.map(r => r.ms)),
		medianRssKB: median(list.map(r => r.rssKB)),
		peakRssKB: Math.max(...list.map(r => r.rssKB)),
		medianCpuS: median(list.map(r => r.cpuS)),
		verdicts: [...new Set(list.map(verdictOf))],
		codes: [...new Set(list.map(r => r.code))],
		runsMs: list.map(r => Math.round(r.ms)),
	});
	results.sizes[size] = {
		nodes: size,
		kubectl: summary(rows.kubectl),
		direct: summary(rows.direct),
		requests: requestRuns[0],
		requestTotals: [...new Set(requestRuns.map(r => r.toVerdict))],
		logReadTotals: [...new Set(requestRuns.map(r => r.logReads))],
		unfilteredPodReads: [...new Set(requestRuns.flatMap(r => r.unfilteredPodReads))],
		bytes: {
			medianDown: median(rows.proxied.map(r => r.bytes.down)),
			medianUp: median(rows.proxied.map(r => r.bytes.up)),
			connections: median(rows.proxied.map(r => r.bytes.connections)),
		},
		idleBefore,
		bounded: {flags: '--log-pods 2 --log-bytes 4096', bytesDown: rows.bounded.bytes.down, requests: perRun(rows.bounded), verdict: verdictOf(rows.bounded)},
		load: load(),
	};
	save();
}

// ---- 3-5. the rollout: doctor in a pty answering y, kubectl rollout status, a third watcher -------------------------
/**
 * One restart and rollout. mode "pty": the interactive doctor in a pseudo-terminal, answering y; mode "plain":
 * `kubectl multus doctor --yes` with stdout to a pipe (the plain printer), to tell rendering from watching.
 */
async function rollout(size, index, mode) {
	await rebreak();
	const before = await waitRolledOut();
	const idleBefore = await settle();
	const offset = auditSize();
	const generation = before.metadata.generation;
	const watcher = await watchDaemonSet(admin, namespace, dsName, generation);
	const rows = Number(options.rows), cols = Number(options.cols);
	log(`rollout at ${size} nodes (maxUnavailable ${before.spec.updateStrategy.rollingUpdate?.maxUnavailable}, ${mode}): run ${index}`);
	const started = now();
	let session;
	let rootPid;
	let plainNoticedAt;
	const timeReport = path.join(out, `time-rollout-${size}-${mode}-${index}.txt`);
	if (mode === 'pty') {
		const pty = ptySession(`/usr/bin/time -f '%e %U %S %M' -o '${timeReport}' kubectl multus doctor --timeout 20m`, {rows, cols, env: doctorEnv(doctorKubeconfig)});
		rootPid = pty.pid;
		session = pty.session;
	} else {
		session = timed('kubectl', ['multus', 'doctor', '--yes', '--timeout', '20m'], {
			env: doctorEnv(doctorKubeconfig),
			onSpawn: child => (rootPid = child.pid),
			onStdout: (t, chunk) => {
				if (!plainNoticedAt && chunk.toString().includes('successfully rolled out')) plainNoticedAt = t;
			},
		}).then(result => ({code: result.code, end: result.end, chunks: [], stdout: result.stdout, time: result}));
	}
	// The doctor's node process: (script ->) time -> kubectl, which execs the plugin (sh), which execs node.
	let doctorPid;
	let samples = {samples: [], stop() {}};
	const findDoctor = setInterval(() => {
		const pid = descendants(rootPid).find(p => procStat(p)?.comm === 'node');
		if (pid) {
			clearInterval(findDoctor);
			doctorPid = pid;
			samples = sampler(pid, 25);
		}
	}, 10);
	let kubectlRun;
	let kubectlNoticedAt;
	watcher.on(event => {
		if (event !== 'generation' || kubectlRun) return;
		kubectlRun = timed('kubectl', ['-n', namespace, 'rollout', 'status', `ds/${dsName}`, '--timeout=20m'], {
			env: adminEnv(),
			onStdout: (t, chunk) => {
				if (!kubectlNoticedAt && chunk.toString().includes('successfully rolled out')) kubectlNoticedAt = t;
			},
		});
	});
	const result = await session;
	clearInterval(findDoctor);
	samples.stop();
	const kubectl = kubectlRun ? await kubectlRun : undefined;
	watcher.stop();
	await sleep(500);
	const {events} = auditSince(offset);
	if (mode === 'pty') writeFileSync(path.join(out, `pty-rollout-${size}-${index}.bin`), Buffer.concat(result.chunks.map(c => c.data)));
	else writeFileSync(path.join(out, `plain-rollout-${size}-${index}.txt`), result.stdout);

	const generationAt = watcher.generationAt;
	const watcherCompleteAt = watcher.completeAt;
	// The stored status that completed the rollout: the DaemonSet controller's last status write the watcher saw.
	const statusWrites = uniqueRequests(events.filter(e => e.objectRef?.resource === 'daemonsets' && e.objectRef.subresource === 'status' && e.objectRef.name === dsName && e.stage === 'ResponseComplete'))
		.map(e => auditTime(e.stageTimestamp)).filter(t => t >= started).sort((a, b) => a - b);
	const statusCompleteAt = watcherCompleteAt ? statusWrites.filter(t => t <= watcherCompleteAt).pop() : undefined;
	const requests = doctorRequests(events, started, result.end);
	const verifyAt = requests.map(e => ({t: auditTime(e.requestReceivedTimestamp), key: `${e.verb} ${e.objectRef?.resource}`}))
		.filter(r => r.key === 'create subjectaccessreviews' && generationAt && r.t > generationAt).sort((a, b) => a.t - b.t)[0]?.t;
	const list = frames(result.chunks);
	const noticedAt = mode === 'pty' ? list.find(frame => generationAt && frame.t >= generationAt && /✔\s*Rollout/.test(frame.text))?.t : plainNoticedAt;
	const windowEnd = noticedAt ?? result.end;
	const windowFrames = list.filter(frame => generationAt && frame.t >= generationAt && frame.t <= windowEnd);
	const windowBytes = result.chunks.filter(c => generationAt && c.t >= generationAt && c.t <= windowEnd).reduce((sum, c) => sum + c.data.length, 0);
	let doctorTime;
	if (mode === 'pty') {
		try {
			const [wall, user, system, rss] = readFileSync(timeReport, 'utf8').trim().split('\n').pop().split(' ').map(Number);
			doctorTime = {wallS: wall, cpuS: user + system, rssKB: rss};
		} catch {}
	} else {
		doctorTime = {wallS: result.time.ms / 1000, cpuS: result.time.cpuS, rssKB: result.time.rssKB};
	}
	const finalText = mode === 'pty' ? list.at(-1)?.text ?? '' : result.stdout;
	const reference = statusCompleteAt ?? watcherCompleteAt;
	const delay = t => (t && reference ? t - reference : null);
	const row = {
		index,
		mode,
		nodes: size,
		maxUnavailable: before.spec.updateStrategy.rollingUpdate?.maxUnavailable,
		exitCode: result.code,
		fixed: /Fixed:/.test(finalText),
		rolloutMs: generationAt && reference ? reference - generationAt : null,
		reference: statusCompleteAt ? 'audit: last DaemonSet status write before the watcher saw it complete' : 'third watcher',
		delays: {
			watcherMs: delay(watcherCompleteAt),
			doctorScreenMs: delay(noticedAt),
			doctorFirstVerifyRequestMs: delay(verifyAt),
			kubectlPrintedMs: delay(kubectlNoticedAt),
			kubectlExitMs: delay(kubectl?.end),
		},
		cpu: {
			doctorRolloutS: generationAt && noticedAt ? cpuBetween(samples.samples, generationAt, noticedAt) : null,
			doctorTotalS: doctorTime?.cpuS ?? null,
			kubectlS: kubectl?.cpuS ?? null,
		},
		memory: {
			doctorPeakKB: doctorTime?.rssKB ?? null,
			doctorRolloutPeakKB: Math.max(0, ...samples.samples.filter(s => generationAt && s.t >= generationAt && s.t <= windowEnd).map(s => s.rssKB)),
			kubectlPeakKB: kubectl?.rssKB ?? null,
			sampled: samples.samples.length,
		},
		terminal: mode === 'pty' ? {
			rows,
			cols,
			...frameRate(list, generationAt ?? started, windowEnd),
			windowBytes,
			totalBytes: result.chunks.reduce((sum, c) => sum + c.data.length, 0),
			totalFrames: list.length,
			maxFrameLines: Math.max(0, ...windowFrames.map(f => f.text.split('\n').length)),
			maxNodeNamesInFrame: Math.max(0, ...windowFrames.map(f => new Set(f.text.match(/node-\d+/g) ?? []).size)),
			maxFrameBytes: Math.max(0, ...windowFrames.map(f => f.bytes)),
		} : {totalBytes: Buffer.byteLength(result.stdout)},
		requests: requestSummary(requests),
		doctorPid,
		idleBefore,
		load: load(),
	};
	(results.rollouts[size] ??= []).push(row);
	save();
	log(`rollout at ${size} nodes (${mode}): ${Math.round(row.rolloutMs ?? -1)} ms; doctor noticed +${Math.round(row.delays.doctorScreenMs ?? NaN)} ms, kubectl +${Math.round(row.delays.kubectlPrintedMs ?? NaN)} ms; CPU ${row.cpu.doctorRolloutS?.toFixed(2)} s vs ${row.cpu.kubectlS?.toFixed(2)} s; exit ${row.exitCode}`);
}

async function clusterPhase() {
	await startCluster(sizes[0]);
	try {
		for (const size of sizes) {
			if (size !== sizes[0]) await scaleTo(size);
			await waitRolledOut();
			await verdict(size);
			if (rolloutSizes.includes(size)) {
				if (maxUnavailable[size] !== undefined) {
					await api(admin, 'PATCH', `/apis/apps/v1/namespaces/${namespace}/daemonsets/${dsName}`, {spec: {updateStrategy: {rollingUpdate: {maxUnavailable: maxUnavailable[size]}}}});
				}
				for (let i = 1; i <= rollouts; i++) await rollout(size, i, 'pty');
				if (plainRollouts) await rollout(size, 1, 'plain');
			}
		}
	} finally {
		await proxy?.close();
		// The bench user's key dies with the cluster's CA; do not leave it lying around.
		for (const file of ['bench-user.key', 'bench-user.csr', 'bench-user.crt']) rmSync(path.join(out, file), {force: true});
	}
}

if (options['wait-load']) {
	const limit = Number(options['wait-load']);
	const deadline = Date.now() + 30 * 60_000;
	while (os.loadavg()[0] >= limit && Date.now() < deadline) {
		log(`waiting for the load to fall below ${limit}`);
		await sleep(30_000);
	}
	results.meta.load.start = load();
}
if (!skip.has('startup')) await startup();
if (!skip.has('scan')) await scan();
if (!skip.has('scan-bundle')) await scanBundle();
if (!skip.has('cluster')) await clusterPhase();
results.meta.load.end = load();
save();
log(`results: ${path.join(out, 'results.json')}`);
process.stdout.write(renderReport(results));

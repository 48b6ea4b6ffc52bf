// The fleet (`npm run bench` runs it; also alone: node scripts/bench-fleet.mjs): 20 contexts diagnosed at once
// (`kubectl multus doctor --all-contexts --check -o json`) against each single context alone. Three local clusters
// (broken thick, healthy thick, RKE2's Helm-managed thick; 2 nodes each, real daemons), started one after the other
// and always stopped; the 20 contexts of one kubeconfig point at them round-robin, each with its cluster's own
// credentials. Targets (issue 16): the 20 in under 2 s, at most 1.5 x the slowest single context; peak memory is
// reported (the kernel's max RSS, /usr/bin/time). Wall time is measured here, from spawn to exit, of bin/kubectl-multus
// run directly (kubectl's own hand-over, the same for both, left out).
//   node scripts/bench-fleet.mjs [--runs 5] [--contexts 20] [--out FILE] [--keep] [--reuse] [--rtt MS] [--floor]
// --keep leaves the clusters up and the kubeconfig in place (its path is printed); --reuse starts none that answer.
// --rtt MS puts a proxy in front of each cluster that holds every chunk MS/2 each way (a network's round trip; the
// clusters are on loopback, where a context's time is all CPU and the fleet's concurrency has nothing to overlap).
// Clusters: FLEET_CLUSTERS=a,b,c names them (default CLUSTER_NAME-fleet-1..3, CLUSTER_NAME default bench).
// --floor also measures what the transport alone costs per context: each cluster's requests, recorded from one
// doctor run (method, path, body), sent again by a bare node:http2 client (one TLS session per context, the context's
// own certificates, every answer parsed) for 1 and for `--contexts` contexts at once: its CPU per further context is
// the least any Node client pays for what the doctor asks, before it decides anything.
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';
import {byteProxy, load, log, median, timed} from './bench-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {values: options} = parseArgs({options: {runs: {type: 'string', default: '5'}, contexts: {type: 'string', default: '20'}, out: {type: 'string'}, keep: {type: 'boolean', default: false}, reuse: {type: 'boolean', default: false}, rtt: {type: 'string', default: '0'}, floor: {type: 'boolean', default: false}}});
const base = process.env.CLUSTER_NAME ?? 'bench';
const names = (process.env.FLEET_CLUSTERS ?? `${base}-fleet-1,${base}-fleet-2,${base}-fleet-3`).split(',');
const scenarios = ['broken-thick', 'healthy-thick', 'rke2-thick'];
const script = path.join(root, 'scripts/cluster');
const sh = (name, ...args) => execFileSync('bash', [script, ...args], {env: {...process.env, CLUSTER_NAME: name}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim();
const launcher = path.join(root, 'bin/kubectl-multus');
const runs = Number(options.runs);
const count = Number(options.contexts);
const toolsBin = process.env.TOOLS_BIN ?? execFileSync('bash', ['-c', `. ${path.join(root, 'scripts/versions.sh')} && echo $TOOLS_BIN`], {encoding: 'utf8'}).trim();
const dir = mkdtempSync(path.join(tmpdir(), 'bench-fleet-'));

const started = [];
function answers(name) {
	try {
		execFileSync('kubectl', ['--kubeconfig', sh(name, 'kubeconfig'), 'get', '--raw', '/readyz'], {stdio: 'ignore', env: {...process.env, PATH: `${toolsBin}:${process.env.PATH}`}});
		return true;
	} catch {
		return false;
	}
}
try {
	// One after the other: kwokctl's first start of a cluster writes a CA, and two starting at once race for it.
	for (const [index, name] of names.entries()) {
		started.push(name);
		if (options.reuse && answers(name)) continue;
		sh(name, 'down');
		sh(name, 'up', '--nodes', '2');
		sh(name, 'apply', scenarios[index]);
	}
	// One kubeconfig of `count` contexts, round-robin over the clusters, each with that cluster's own credentials.
	const members = names.map(name => parse(execFileSync('kubectl', ['config', 'view', '--raw', '--minify', '--kubeconfig', sh(name, 'kubeconfig')], {encoding: 'utf8', env: {...process.env, PATH: `${toolsBin}:${process.env.PATH}`}})));
	const rtt = Number(options.rtt);
	const proxies = [];
	if (rtt > 0) {
		for (const member of members) {
			const server = new URL(member.clusters[0].cluster.server);
			const proxy = await byteProxy(server.hostname, Number(server.port), {delayMs: rtt / 2});
			proxies.push(proxy);
			member.clusters[0].cluster.server = `https://${server.hostname}:${proxy.port}`;
		}
	}
	const contexts = Array.from({length: count}, (_, index) => ({name: `ctx-${String(index + 1).padStart(2, '0')}`, member: index % names.length}));
	const fleetConfig = path.join(dir, 'fleet.yaml');
	writeFileSync(fleetConfig, JSON.stringify({
		apiVersion: 'v1',
		kind: 'Config',
		clusters: members.map((member, index) => ({name: names[index], cluster: member.clusters[0].cluster})),
		users: members.map((member, index) => ({name: names[index], user: member.users[0].user})),
		contexts: contexts.map(context => ({name: context.name, context: {cluster: names[context.member], user: names[context.member]}})),
		'current-context': contexts[0].name,
	}));
	const env = {...process.env, KUBECONFIG: fleetConfig, NO_COLOR: '1'};
	const doctor = args => timed(launcher, ['doctor', '--check', '-o', 'json', ...args], {env});

	// Warm both paths once (the V8 compile cache, the apiservers' caches), then measure.
	await doctor(['--context', contexts[0].name]);
	await doctor(['--all-contexts']);
	const single = [];
	for (const [index, name] of names.entries()) {
		const samples = [];
		for (let run = 0; run < runs; run++) samples.push(await doctor(['--context', contexts[index].name]));
		single.push({cluster: name, scenario: scenarios[index], exit: samples[0].code, wallMs: median(samples.map(sample => sample.ms)), rssKB: median(samples.map(sample => sample.rssKB)), cpuS: median(samples.map(sample => sample.cpuS)), samplesMs: samples.map(sample => Math.round(sample.ms))});
		log(`single ${name} (${scenarios[index]}): median ${Math.round(single.at(-1).wallMs)} ms, exit ${samples[0].code}`);
	}
	const fleet = [];
	for (let run = 0; run < runs; run++) {
		const sample = await doctor(['--all-contexts']);
		const report = JSON.parse(sample.stdout);
		fleet.push({ms: sample.ms, rssKB: sample.rssKB, cpuS: sample.cpuS, exit: sample.code, contexts: report.contexts.length, perContextMs: report.contexts.map(context => Math.round((context.seconds ?? 0) * 1000)), exitCodes: report.summary.byExitCode});
		log(`fleet of ${report.contexts.length}: ${Math.round(sample.ms)} ms, peak RSS ${Math.round(sample.rssKB / 1024)} MiB, exit ${sample.code}`);
	}
	const floor = options.floor ? measureFloor(fleetConfig, contexts.slice(0, names.length).map(context => context.name), env) : undefined;
	const slowest = Math.max(...single.map(one => one.wallMs));
	const fleetMs = median(fleet.map(sample => sample.ms));
	const summary = {
		load: load(),
		contexts: count,
		clusters: names.length,
		rttMs: rtt,
		single,
		fleet: {medianMs: fleetMs, minMs: Math.min(...fleet.map(sample => sample.ms)), maxMs: Math.max(...fleet.map(sample => sample.ms)), peakRssKB: Math.max(...fleet.map(sample => sample.rssKB)), runs: fleet},
		slowestSingleMs: slowest,
		// The tool's own CPU (rusage, user + system): what each further context adds on top of one alone.
		cpu: {singleS: median(single.map(one => one.cpuS)), fleetS: median(fleet.map(sample => sample.cpuS))},
		ratio: fleetMs / slowest,
		targets: {under2s: fleetMs < 2000, atMost1_5x: fleetMs <= 1.5 * slowest},
		...(floor ? {floor} : {}),
	};
	summary.met = summary.targets.under2s && summary.targets.atMost1_5x && fleet.every(sample => sample.contexts === count);
	if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
	const ms = value => `${Math.round(value)} ms`;
	process.stdout.write(`\n### Fleet: ${count} contexts over ${names.length} clusters${rtt > 0 ? `, each behind a proxy that adds a ${rtt} ms round trip` : ''}, \`doctor --all-contexts --check -o json\` (${runs} runs each, medians)\n\n`);
	process.stdout.write('| what | wall | peak RSS | exit |\n| --- | --- | --- | --- |\n');
	for (const one of single) process.stdout.write(`| one context alone: ${one.scenario} | ${ms(one.wallMs)} (${one.samplesMs.join(', ')}) | ${Math.round(one.rssKB / 1024)} MiB | ${one.exit} |\n`);
	process.stdout.write(`| ${count} contexts at once | ${ms(fleetMs)} (${fleet.map(sample => Math.round(sample.ms)).join(', ')}) | ${Math.round(summary.fleet.peakRssKB / 1024)} MiB (max of the runs) | ${fleet[0].exit} |\n`);
	process.stdout.write(`\nTargets: under 2 s ${summary.targets.under2s ? 'met' : 'MISSED'} (${ms(fleetMs)}); at most 1.5 x the slowest single context ${summary.targets.atMost1_5x ? 'met' : 'MISSED'} (${summary.ratio.toFixed(2)} x ${ms(slowest)}). Load at the end: ${summary.load.join(' ')}\n`);
	process.stdout.write(`CPU (rusage, user + system, medians): one context ${summary.cpu.singleS.toFixed(2)} s, ${count} at once ${summary.cpu.fleetS.toFixed(2)} s: ${((summary.cpu.fleetS - summary.cpu.singleS) * 1000 / (count - 1)).toFixed(1)} ms per further context; 1.5 x needs the wall time per further context at most ${ms((0.5 * slowest) / (count - 1))}.\n`);
	if (floor) process.stdout.write(`\nThe transport alone (--floor: ${floor.requestsPerContext.join(', ')} requests per context of each cluster, as the doctor sent them, from a bare node:http2 client; ${runs} runs each, interleaved): one context ${ms(floor.oneCpuMs)} of CPU, ${count} at once ${ms(floor.allCpuMs)}: ${floor.perContextCpuMs.toFixed(1)} ms of CPU per further context. Its wall time, spawn to exit: one context ${ms(floor.oneWallMs)}, ${count} at once ${ms(floor.allWallMs)}: the ${count - 1} further contexts take ${ms(floor.extraWallMs)} more, servers included, where the 1.5 x target leaves the doctor ${ms(0.5 * slowest)} (half the slowest single context) for the same${floor.extraWallMs > 0.5 * slowest ? ': on this machine no client that sends these requests can meet it' : ''}.\n`);
	process.exitCode = summary.met ? 0 : 1;
	for (const proxy of proxies) void proxy.close();
} finally {
	if (options.keep) log(`kept: ${started.join(', ')}; KUBECONFIG=${path.join(dir, 'fleet.yaml')}`);
	for (const name of options.keep ? [] : started) {
		try {
			sh(name, 'down');
		} catch {
			// Best effort.
		}
	}
	if (!options.keep) rmSync(dir, {recursive: true, force: true});
}

/**
 * The least a Node client pays per context for the doctor's requests: they are recorded from one doctor run per
 * cluster (undici's diagnostics channel: method, path, body) and sent again, one context after the other in each
 * context and all contexts at once, over one node:http2 session per context with that context's TLS material; each
 * answer is read whole and parsed as JSON, as the doctor must. No credentials plugin, proxy or timeout handling: a
 * floor, not a client. CPU is the replaying process's own (user + system).
 */
function measureFloor(fleetConfig, firstContexts, env) {
	const recorder = path.join(dir, 'record-requests.cjs');
	writeFileSync(recorder, `const dc = require('node:diagnostics_channel'); const seen = [];
dc.subscribe('undici:request:create', ({request}) => seen.push({method: request.method, path: request.path, body: typeof request.body === 'string' ? request.body : Buffer.isBuffer(request.body) ? request.body.toString('utf8') : null}));
process.on('exit', () => require('node:fs').writeFileSync(process.env.FLOOR_RECORD, JSON.stringify(seen)));
`);
	const bundle = path.join(root, 'dist/bundle/kubectl-multus.cjs');
	const recorded = firstContexts.map((context, index) => {
		const file = path.join(dir, `requests-${index}.json`);
		spawnSync(process.execPath, ['-r', recorder, bundle, 'doctor', '--context', context, '--check', '-o', 'json'], {env: {...env, FLOOR_RECORD: file}, stdio: 'ignore'});
		return JSON.parse(readFileSync(file, 'utf8'));
	});
	const replayer = path.join(dir, 'replay.mjs');
	writeFileSync(replayer, `import {readFileSync} from 'node:fs';
import http2 from 'node:http2';
const [config, recordedFile, countText] = process.argv.slice(2);
const kubeconfig = JSON.parse(readFileSync(config, 'utf8'));
const recorded = JSON.parse(readFileSync(recordedFile, 'utf8'));
const started = process.cpuUsage();
let refused = 0;
const material = (file, data) => (file ? readFileSync(file) : data ? Buffer.from(data, 'base64') : undefined);
async function context(index) {
	const named = kubeconfig.contexts[index].context;
	const cluster = kubeconfig.clusters.find(c => c.name === named.cluster).cluster;
	const user = kubeconfig.users.find(u => u.name === named.user).user;
	const session = http2.connect(cluster.server, {
		ca: material(cluster['certificate-authority'], cluster['certificate-authority-data']),
		cert: material(user['client-certificate'], user['client-certificate-data']),
		key: material(user['client-key'], user['client-key-data']),
	});
	const headers = {accept: 'application/json', 'user-agent': 'bench-fleet-floor', ...(user.token ? {authorization: 'Bearer ' + user.token} : {})};
	for (const request of recorded[index % recorded.length]) {
		await new Promise((resolve, reject) => {
			const stream = session.request({':method': request.method, ':path': request.path, ...headers, ...(request.body ? {'content-type': 'application/json'} : {})});
			const chunks = [];
			stream.on('response', answer => {
				if (answer[':status'] < 200 || answer[':status'] > 299) refused++;
			});
			stream.on('data', chunk => chunks.push(chunk));
			stream.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				try { JSON.parse(text); } catch { /* a log is text */ }
				resolve();
			});
			stream.on('error', reject);
			stream.end(request.body ?? undefined);
		});
	}
	session.close();
}
await Promise.all(Array.from({length: Number(countText)}, (_, index) => context(index)));
const used = process.cpuUsage(started);
process.stdout.write(JSON.stringify({cpuMs: (used.user + used.system) / 1000, refused}));
`);
	const recordedFile = path.join(dir, 'requests.json');
	writeFileSync(recordedFile, JSON.stringify(recorded));
	// Every answer must be the one the doctor got (2xx): a refused request would cost the server, and this, less.
	// Its wall time too, spawn to exit: what `count` contexts take more than one, servers included, for a client
	// that does nothing but send the doctor's requests; against the 1.5 x target's budget for the same difference.
	const replay = contextsAtOnce => {
		const started = process.hrtime.bigint();
		const {cpuMs, refused} = JSON.parse(execFileSync(process.execPath, [replayer, fleetConfig, recordedFile, String(contextsAtOnce)], {encoding: 'utf8'}));
		const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
		if (refused > 0) throw new Error(`floor: ${refused} of the replayed requests were refused`);
		return {cpuMs, wallMs};
	};
	const one = [];
	const all = [];
	for (let run = 0; run < runs; run++) {
		one.push(replay(1));
		all.push(replay(count));
	}
	const oneCpuMs = median(one.map(sample => sample.cpuMs));
	const allCpuMs = median(all.map(sample => sample.cpuMs));
	const oneWallMs = median(one.map(sample => sample.wallMs));
	const allWallMs = median(all.map(sample => sample.wallMs));
	log(`floor: one context ${Math.round(oneCpuMs)} ms of CPU (${Math.round(oneWallMs)} ms wall), ${count} at once ${Math.round(allCpuMs)} ms (${Math.round(allWallMs)} ms wall)`);
	return {requestsPerContext: recorded.map(list => list.length), oneCpuMs, allCpuMs, perContextCpuMs: (allCpuMs - oneCpuMs) / (count - 1), oneWallMs, allWallMs, extraWallMs: allWallMs - oneWallMs, oneRunsMs: one.map(sample => Math.round(sample.cpuMs)), allRunsMs: all.map(sample => Math.round(sample.cpuMs)), oneWallRunsMs: one.map(sample => Math.round(sample.wallMs)), allWallRunsMs: all.map(sample => Math.round(sample.wallMs))};
}

// The fleet (`npm run bench` runs it; also alone: node scripts/bench-fleet.mjs): 20 contexts diagnosed at once
// (`kubectl multus doctor --all-contexts --check -o json`) against each single context alone. Three local clusters
// (broken thick, healthy thick, RKE2's Helm-managed thick; 2 nodes each, real daemons), started one after the other
// and always stopped; the 20 contexts of one kubeconfig point at them round-robin, each with its cluster's own
// credentials. Targets (issue 16): the 20 in under 2 s, at most 1.5 x the slowest single context; peak memory is
// reported (the kernel's max RSS, /usr/bin/time). Wall time is measured here, from spawn to exit, of bin/kubectl-multus
// run directly (kubectl's own hand-over, the same for both, left out).
//   node scripts/bench-fleet.mjs [--runs 5] [--contexts 20] [--out FILE] [--keep] [--reuse]
// --keep leaves the clusters up and the kubeconfig in place (its path is printed); --reuse starts none that answer.
// --rtt MS puts a proxy in front of each cluster that holds every chunk MS/2 each way (a network's round trip; the
// clusters are on loopback, where a context's time is all CPU and the fleet's concurrency has nothing to overlap).
// Clusters: FLEET_CLUSTERS=a,b,c names them (default CLUSTER_NAME-fleet-1..3, CLUSTER_NAME default bench).
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';
import {byteProxy, load, log, median, timed} from './bench-lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {values: options} = parseArgs({options: {runs: {type: 'string', default: '5'}, contexts: {type: 'string', default: '20'}, out: {type: 'string'}, keep: {type: 'boolean', default: false}, reuse: {type: 'boolean', default: false}, rtt: {type: 'string', default: '0'}}});
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
		single.push({cluster: name, scenario: scenarios[index], exit: samples[0].code, wallMs: median(samples.map(sample => sample.ms)), rssKB: median(samples.map(sample => sample.rssKB)), samplesMs: samples.map(sample => Math.round(sample.ms))});
		log(`single ${name} (${scenarios[index]}): median ${Math.round(single.at(-1).wallMs)} ms, exit ${samples[0].code}`);
	}
	const fleet = [];
	for (let run = 0; run < runs; run++) {
		const sample = await doctor(['--all-contexts']);
		const report = JSON.parse(sample.stdout);
		fleet.push({ms: sample.ms, rssKB: sample.rssKB, cpuS: sample.cpuS, exit: sample.code, contexts: report.contexts.length, perContextMs: report.contexts.map(context => Math.round((context.seconds ?? 0) * 1000)), exitCodes: report.summary.byExitCode});
		log(`fleet of ${report.contexts.length}: ${Math.round(sample.ms)} ms, peak RSS ${Math.round(sample.rssKB / 1024)} MiB, exit ${sample.code}`);
	}
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
		ratio: fleetMs / slowest,
		targets: {under2s: fleetMs < 2000, atMost1_5x: fleetMs <= 1.5 * slowest},
	};
	summary.met = summary.targets.under2s && summary.targets.atMost1_5x && fleet.every(sample => sample.contexts === count);
	if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
	const ms = value => `${Math.round(value)} ms`;
	process.stdout.write(`\n### Fleet: ${count} contexts over ${names.length} clusters${rtt > 0 ? `, each behind a proxy that adds a ${rtt} ms round trip` : ''}, \`doctor --all-contexts --check -o json\` (${runs} runs each, medians)\n\n`);
	process.stdout.write('| what | wall | peak RSS | exit |\n| --- | --- | --- | --- |\n');
	for (const one of single) process.stdout.write(`| one context alone: ${one.scenario} | ${ms(one.wallMs)} (${one.samplesMs.join(', ')}) | ${Math.round(one.rssKB / 1024)} MiB | ${one.exit} |\n`);
	process.stdout.write(`| ${count} contexts at once | ${ms(fleetMs)} (${fleet.map(sample => Math.round(sample.ms)).join(', ')}) | ${Math.round(summary.fleet.peakRssKB / 1024)} MiB (max of the runs) | ${fleet[0].exit} |\n`);
	process.stdout.write(`\nTargets: under 2 s ${summary.targets.under2s ? 'met' : 'MISSED'} (${ms(fleetMs)}); at most 1.5 x the slowest single context ${summary.targets.atMost1_5x ? 'met' : 'MISSED'} (${summary.ratio.toFixed(2)} x ${ms(slowest)}). Load at the end: ${summary.load.join(' ')}\n`);
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

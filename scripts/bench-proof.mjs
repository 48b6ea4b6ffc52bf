// Proof latency (`npm run bench` runs it; also alone: node scripts/bench-proof.mjs): how long after the daemons' own
// readiness the doctor says Fixed. On a small cluster of real multus-daemons (scripts/cluster, real-daemon mode), the
// upstream thick manifest of a release with its role cut back to the v4.0.x rules (pods get/update), so the daemons log
// the forbidden error and print their start-up lines; then `kubectl multus doctor --yes -o json`, RUNS times. From
// its report: for every proven pod, the doctor's verdict (provenAt) minus the daemon's own readiness line (readyAt);
// the target is never negative and at most 1 s; also the rollout's end to the verdict, and the daemons' sync time.
//   node scripts/bench-proof.mjs [--runs 3] [--scenario upstream-v4.3.0-thick] [--out FILE]
// Needs CLUSTER_NAME and TOOLS_BIN (scripts/bench sets them); starts and stops its own cluster (CLUSTER_NAME-proof).
import {execFileSync, spawnSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {values: options} = parseArgs({options: {runs: {type: 'string', default: '3'}, scenario: {type: 'string', default: 'upstream-v4.3.0-thick'}, out: {type: 'string'}, nodes: {type: 'string', default: '3'}}});
const cluster = `${process.env.CLUSTER_NAME ?? 'bench'}-proof`;
const env = {...process.env, CLUSTER_NAME: cluster};
const script = path.join(root, 'scripts/cluster');
const sh = (...args) => execFileSync('bash', [script, ...args], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim();
const log = message => process.stderr.write(`[bench-proof] ${message}\n`);

sh('up', '--nodes', options.nodes);
try {
	const toolsBin = process.env.TOOLS_BIN ?? execFileSync('bash', ['-c', `. ${path.join(root, 'scripts/versions.sh')} && echo $TOOLS_BIN`], {encoding: 'utf8'}).trim();
	const runEnv = {...env, KUBECONFIG: sh('kubeconfig'), PATH: `${path.join(root, 'bin')}:${toolsBin}:${process.env.PATH}`, NO_COLOR: '1'};
	const kubectl = (...args) => execFileSync('kubectl', args, {env: runEnv, encoding: 'utf8'});
	const results = [];
	for (let run = 1; run <= Number(options.runs); run++) {
		sh('apply', options.scenario);
		// The v4.0.x rules: pods get/update only. The daemons then log the forbidden error; restart them so they start denied.
		kubectl('patch', 'clusterrole', 'multus', '--type=json', '-p', JSON.stringify([{op: 'replace', path: '/rules', value: [
			{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']},
			{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
			{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
		]}]));
		kubectl('-n', 'kube-system', 'rollout', 'restart', 'ds/kube-multus-ds');
		kubectl('-n', 'kube-system', 'rollout', 'status', 'ds/kube-multus-ds', '--timeout=120s');
		const started = Date.now();
		const doctor = spawnSync('kubectl', ['multus', 'doctor', '--yes', '-o', 'json'], {env: runEnv, encoding: 'utf8', timeout: 300_000});
		const wall = Date.now() - started;
		let report;
		try {
			report = JSON.parse(doctor.stdout);
		} catch {
			throw new Error(`doctor printed no JSON (exit ${doctor.status}): ${doctor.stderr}`);
		}
		const proof = report.verification?.proof;
		const finishedAt = Date.parse(report.applied?.rollout?.finishedAt ?? '');
		const pods = (proof?.pods ?? []).map(pod => ({
			pod: pod.pod,
			state: pod.state,
			syncMs: pod.syncMs,
			latencyMs: pod.readyAt && pod.provenAt ? Date.parse(pod.provenAt) - Date.parse(pod.readyAt) : null,
			afterRolloutMs: pod.provenAt && Number.isFinite(finishedAt) ? Date.parse(pod.provenAt) - finishedAt : null,
		}));
		results.push({run, exit: doctor.status, verdict: report.outcome?.verdict ?? report.verdict, wallMs: wall, proofWaitMs: proof?.waitedMs ?? null, pods});
		log(`run ${run}: exit ${doctor.status}, ${pods.map(pod => `${pod.pod} ${pod.state} sync ${pod.syncMs} ms, verdict +${pod.latencyMs} ms after its readiness`).join('; ')}`);
	}
	const latencies = results.flatMap(result => result.pods.map(pod => pod.latencyMs)).filter(ms => ms !== null);
	const summary = {
		scenario: options.scenario,
		runs: results,
		latencyMs: {min: Math.min(...latencies), max: Math.max(...latencies)},
		target: 'never before the daemon\'s readiness line, at most 1000 ms after',
		met: latencies.length > 0 && latencies.every(ms => ms >= 0 && ms <= 1000) && results.every(result => result.exit === 0),
	};
	if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
	process.stdout.write(`\n### Proof latency (${options.scenario}, real daemons, ${options.nodes} nodes, ${results.length} runs)\n\n`);
	process.stdout.write('| run | exit | daemons proven | their sync time | verdict after their readiness | verdict after the rollout\'s end |\n| --- | --- | --- | --- | --- | --- |\n');
	for (const result of results) {
		const range = values => (values.length ? `${Math.min(...values)}-${Math.max(...values)} ms` : 'n/a');
		const pick = key => result.pods.map(pod => pod[key]).filter(ms => ms !== null);
		process.stdout.write(`| ${result.run} | ${result.exit} | ${result.pods.filter(pod => pod.state === 'proven').length}/${result.pods.length} | ${range(pick('syncMs'))} | ${range(pick('latencyMs'))} | ${range(pick('afterRolloutMs'))} |\n`);
	}
	process.stdout.write(`\nTarget (never before the readiness line, at most 1 s after): ${summary.met ? 'met' : 'MISSED'} (${summary.latencyMs.min}-${summary.latencyMs.max} ms)\n`);
	process.exitCode = summary.met ? 0 : 1;
} finally {
	sh('down');
}

// Renders a scripts/bench-run.mjs results.json as the Markdown tables of BENCHMARKS.md: each measured value
// next to its target, PASS or MISS.
//
//   node scripts/bench-report.mjs out/bench/<run>/results.json
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const ms = v => (v == null ? 'n/a' : `${Math.round(v)} ms`);
const mb = kb => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
const kib = b => (b == null ? 'n/a' : `${(b / 1024).toFixed(1)} KiB`);
const verdict = ok => (ok == null ? 'n/a' : ok ? 'PASS' : 'MISS');
const median = values => {
	const sorted = values.filter(v => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
	if (sorted.length === 0) return null;
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function renderReport(results) {
	const lines = [];
	const row = (...cells) => lines.push(`| ${cells.join(' | ')} |`);
	const {meta} = results;
	lines.push(`Run ${meta.date}: ${meta.cpus} × ${meta.cpuModel}, ${meta.memoryGiB} GiB; commit ${meta.commit}${meta.dirty ? ` (+${meta.dirty} uncommitted files in source/)` : ''}, bundle built ${meta.bundleBuilt}; Node ${meta.node}, kubectl ${meta.kubectl}.`);
	lines.push(`Load average (1/5/15 min) at start ${meta.load.start?.join(' / ')}, at end ${meta.load.end?.join(' / ') ?? 'n/a'}.`, '');

	const sizes = Object.values(results.sizes);
	if (sizes.length) {
		lines.push('### Diagnosis: `kubectl multus doctor --check -o json`', '');
		row('nodes', 'via `kubectl multus` (median)', 'bin directly (median)', 'API requests to the verdict', 'log reads', 'bytes read (down / up)', 'peak RSS', 'machine idle before', 'load after');
		row('---', '---', '---', '---', '---', '---', '---', '---', '---');
		for (const s of sizes) {
			row(s.nodes, `${ms(s.kubectl.medianMs)} (${s.kubectl.runsMs.join(', ')})`, `${ms(s.direct.medianMs)} (${s.direct.runsMs.join(', ')})`, `${s.requestTotals.join('/')}`, s.logReadTotals.join('/'), `${kib(s.bytes.medianDown)} / ${kib(s.bytes.medianUp)}`, mb(Math.max(s.kubectl.peakRssKB, s.direct.peakRssKB)), s.idleBefore == null ? 'n/a' : `${Math.round(s.idleBefore * 100)}%`, s.load.join(' / '));
		}
		lines.push('');
		const last = sizes.at(-1);
		lines.push(`Requests at ${last.nodes} nodes, by verb and resource (audit log): ${Object.entries(last.requests.byKey).map(([k, v]) => `${k} ×${v}`).join(', ')}.`);
		lines.push(`With \`${last.bounded.flags}\`: ${last.bounded.requests.logReads} log reads, ${kib(last.bounded.bytesDown)} read in all (verdict ${last.bounded.verdict}).`, '');
	}

	const rollouts = Object.entries(results.rollouts);
	const interactive = rollouts.map(([size, list]) => [size, list.filter(r => r.mode !== 'plain')]).filter(([, list]) => list.length > 0);
	if (rollouts.length) {
		lines.push('### Rollout: interactive `kubectl multus doctor` answering y, next to `kubectl rollout status`', '');
		row('nodes', 'doctor', 'maxUnavailable', 'rollout', 'doctor noticed (screen / next request)', 'kubectl printed (exit)', 'watcher', 'CPU doctor / kubectl', 'frames/s mean / peak 1 s', 'bytes to terminal', 'largest frame', 'peak RSS doctor', 'exit');
		row('---', '---', '---', '---', '---', '---', '---', '---', '---', '---', '---', '---', '---');
		for (const [size, list] of rollouts) {
			for (const r of list) {
				const t = r.terminal;
				row(size, r.mode === 'plain' ? '`--yes`, stdout a pipe' : 'pty, answers y', r.maxUnavailable, ms(r.rolloutMs), `+${ms(r.delays.doctorScreenMs)} / +${ms(r.delays.doctorFirstVerifyRequestMs)}`, `+${ms(r.delays.kubectlPrintedMs)} (+${ms(r.delays.kubectlExitMs)})`, `+${ms(r.delays.watcherMs)}`,
					`${r.cpu.doctorRolloutS?.toFixed(2) ?? 'n/a'} s / ${r.cpu.kubectlS?.toFixed(2) ?? 'n/a'} s`, t.mean == null ? 'n/a' : `${t.mean.toFixed(1)} / ${t.peak}`,
					t.windowBytes == null ? `${kib(t.totalBytes)} (session)` : `${kib(t.windowBytes)} (${kib(t.totalBytes)} session)`,
					t.maxFrameLines == null ? 'n/a' : `${t.maxFrameLines} lines, ${t.maxNodeNamesInFrame} node names`, mb(r.memory.doctorPeakKB), `${r.exitCode}${r.fixed ? ' fixed' : ''}`);
			}
		}
		lines.push('', 'Delays are from the stored status that completed the rollout (audit log: the DaemonSet controller\'s last status write before the third watcher saw completion).', '');
	}

	if (results.startup) {
		lines.push('### Start-up (hyperfine -N, 3 warm-up, 30 runs)', '');
		row('command', 'median', 'mean ± σ', 'min');
		row('---', '---', '---', '---');
		for (const c of results.startup.commands) row(`\`${c.name}\``, ms(c.medianMs), `${ms(c.meanMs)} ± ${ms(c.stddevMs)}`, ms(c.minMs));
		lines.push('');
	}

	if (results.scan) {
		const s = results.scan;
		lines.push(`### scan on a generated ${(s.bytes / 2 ** 20).toFixed(0)} MiB log (${s.truth.lines} lines, ${s.truth.podsForbidden} forbidden lines)`, '');
		row('tool', 'median time', 'throughput', 'peak RSS', 'count');
		row('---', '---', '---', '---', '---');
		row('`kubectl-multus scan FILE -o json`', ms(s.scan.medianMs), `${s.scan.mbPerS.toFixed(0)} MB/s`, mb(s.scan.peakRssKB), s.scanCount);
		row(`same, first ${(s.smallBytes / 2 ** 20).toFixed(0)} MiB`, ms(s.scanSmall.medianMs), `${s.scanSmall.mbPerS.toFixed(0)} MB/s`, mb(s.scanSmall.peakRssKB), '');
		row('`LC_ALL=C grep -E -c PATTERN FILE`', ms(s.grep.medianMs), `${s.grep.mbPerS.toFixed(0)} MB/s`, mb(s.grep.peakRssKB), s.grepCount);
		row('`LC_ALL=C.UTF-8 grep -E -c PATTERN FILE`', ms(s.grepUtf8.medianMs), `${s.grepUtf8.mbPerS.toFixed(0)} MB/s`, mb(s.grepUtf8.peakRssKB), '');
		lines.push('');
	}

	if (results.scanBundle) {
		const b = results.scanBundle;
		lines.push(`### scan on a generated .tar.gz bundle: ${b.files} pod logs of 16 MiB, ${(b.bytes / 2 ** 20).toFixed(0)} MiB (${(b.compressedBytes / 2 ** 20).toFixed(0)} MiB gzip'd), ${b.truth.podsForbidden} forbidden lines`, '');
		row('tool', 'median time', 'throughput (uncompressed)', 'peak RSS', 'count');
		row('---', '---', '---', '---', '---');
		row('`kubectl-multus scan BUNDLE.tar.gz -o json`', ms(b.scan.medianMs), `${b.scan.mbPerS.toFixed(0)} MB/s`, mb(b.scan.peakRssKB), b.scanCount);
		row(`same, first ${b.smallFiles} logs (${(b.smallBytes / 2 ** 20).toFixed(0)} MiB)`, ms(b.scanSmall.medianMs), `${b.scanSmall.mbPerS.toFixed(0)} MB/s`, mb(b.scanSmall.peakRssKB), '');
		row('`gzip -dc BUNDLE.tar.gz > /dev/null`', ms(b.gunzip.medianMs), `${b.gunzip.mbPerS.toFixed(0)} MB/s`, mb(b.gunzip.peakRssKB), '');
		lines.push('');
	}

	lines.push('### Targets', '');
	row('target', 'measured', 'result');
	row('---', '---', '---');
	const at = n => results.sizes[n];
	const small = at(3), big = at(1000);
	if (small && big) {
		row('time to verdict at 1000 nodes < 1 s (via `kubectl multus`)', ms(big.kubectl.medianMs), verdict(big.kubectl.medianMs < 1000));
		row('time to verdict at 1000 nodes ≤ 1.2 × 3 nodes', `${(big.kubectl.medianMs / small.kubectl.medianMs).toFixed(2)} × (${ms(small.kubectl.medianMs)} → ${ms(big.kubectl.medianMs)}); bin directly ${(big.direct.medianMs / small.direct.medianMs).toFixed(2)} ×`, verdict(big.kubectl.medianMs <= 1.2 * small.kubectl.medianMs));
		const same = small.requestTotals.length === 1 && big.requestTotals.length === 1 && small.requestTotals[0] === big.requestTotals[0];
		row('≤ 15 API requests to the verdict, the same at 3 and 1000 nodes', `${small.requestTotals.join('/')} at 3, ${big.requestTotals.join('/')} at 1000`, verdict(Math.max(...small.requestTotals, ...big.requestTotals) <= 15 && same));
		row('log reads bounded by --log-pods (default 5), --log-bytes', `${small.logReadTotals.join('/')} at 3, ${big.logReadTotals.join('/')} at 1000; ${big.bounded.requests.logReads} with --log-pods 2`, verdict(Math.max(...big.logReadTotals) <= 5 && big.bounded.requests.logReads <= 2));
		const unfiltered = [...sizes.flatMap(s => s.unfilteredPodReads), ...Object.values(results.rollouts).flat().flatMap(r => r.requests.unfilteredPodReads)];
		row('no unfiltered list of all pods', unfiltered.length ? unfiltered.join('; ') : 'none (every pods list/watch has a selector)', verdict(unfiltered.length === 0));
		row('peak RSS < 150 MB at 1000 nodes (diagnosis)', mb(Math.max(big.kubectl.peakRssKB, big.direct.peakRssKB)), verdict(Math.max(big.kubectl.peakRssKB, big.direct.peakRssKB) < 150 * 1024));
	}
	const bigRollouts = results.rollouts[1000] ?? [];
	for (const mode of ['pty', 'plain']) {
		const list = bigRollouts.filter(r => (r.mode ?? 'pty') === mode);
		if (!list.length) continue;
		const peak = Math.max(...list.map(r => r.memory.doctorPeakKB ?? 0));
		row(`peak RSS < 150 MB at 1000 nodes (rollout, whole ${mode === 'pty' ? 'interactive' : '--yes plain'} session)`, mb(peak), verdict(peak < 150 * 1024));
	}
	for (const [size, list] of interactive) {
		const doctor = median(list.map(r => r.delays.doctorScreenMs));
		const kubectl = median(list.map(r => r.delays.kubectlPrintedMs));
		row(`rollout end noticed no later than kubectl rollout status + 100 ms (${size} nodes, median of ${list.length})`, `doctor +${ms(doctor)}, kubectl +${ms(kubectl)}`, verdict(doctor != null && kubectl != null && doctor <= kubectl + 100));
		const cpuDoctor = median(list.map(r => r.cpu.doctorRolloutS));
		const cpuKubectl = median(list.map(r => r.cpu.kubectlS));
		row(`CPU over the rollout ≤ 2 × kubectl rollout status (${size} nodes)`, `${cpuDoctor?.toFixed(2)} s vs ${cpuKubectl?.toFixed(2)} s (${(cpuDoctor / cpuKubectl).toFixed(1)} ×)`, verdict(cpuDoctor != null && cpuKubectl != null && cpuDoctor <= 2 * cpuKubectl));
		const peakFps = Math.max(...list.map(r => r.terminal.peak));
		row(`≤ 10 frames/s during the rollout (${size} nodes, peak 1-s window)`, `${peakFps} (mean ${median(list.map(r => r.terminal.mean))?.toFixed(1)})`, verdict(peakFps <= 10));
		const names = Math.max(...list.map(r => r.terminal.maxNodeNamesInFrame));
		const frameLines = Math.max(...list.map(r => r.terminal.maxFrameLines));
		row(`rollout view summarises (${size} nodes)`, `largest frame ${frameLines} lines, at most ${names} node names`, verdict(names < Math.min(Number(size), 50) || Number(size) <= 10));
	}
	if (results.startup) {
		const base = results.startup.commands.find(c => c.name === 'kubectl version --client')?.medianMs;
		for (const c of results.startup.commands.filter(c => c.name.startsWith('kubectl multus --help'))) {
			row(`\`${c.name}\` ≤ 1.5 × \`kubectl version --client\``, `${ms(c.medianMs)} vs ${ms(base)} (${(c.medianMs / base).toFixed(2)} ×)`, verdict(c.medianMs <= 1.5 * base));
		}
	}
	if (results.scan) {
		const s = results.scan;
		row('scan in constant memory', `${mb(s.scanSmall.peakRssKB)} on ${(s.smallBytes / 2 ** 20).toFixed(0)} MiB, ${mb(s.scan.peakRssKB)} on ${(s.bytes / 2 ** 20).toFixed(0)} MiB`, verdict(s.scan.peakRssKB <= s.scanSmall.peakRssKB + 16 * 1024));
		row('scan ≥ 1/4 of grep -E throughput (LC_ALL=C)', `${s.scan.mbPerS.toFixed(0)} vs ${s.grep.mbPerS.toFixed(0)} MB/s (${(s.scan.mbPerS / s.grep.mbPerS).toFixed(2)} ×)`, verdict(s.scan.mbPerS >= s.grep.mbPerS / 4));
		row('scan finds what grep finds (and the generator wrote)', `${s.scanCount} / ${s.grepCount} / ${s.truth.podsForbidden} lines; scanned ${s.scanLines ?? 'n/a'} of ${s.truth.lines} lines`, verdict(s.scanCount === s.grepCount && s.grepCount === s.truth.podsForbidden && (s.scanLines == null || s.scanLines === s.truth.lines)));
	}
	if (results.scanBundle) {
		const b = results.scanBundle;
		row('scan of a .tar.gz bundle in constant memory', `${mb(b.scanSmall.peakRssKB)} on ${(b.smallBytes / 2 ** 20).toFixed(0)} MiB, ${mb(b.scan.peakRssKB)} on ${(b.bytes / 2 ** 20).toFixed(0)} MiB`, verdict(b.scan.peakRssKB <= b.scanSmall.peakRssKB + 16 * 1024));
		row('scan of a bundle finds what the generator wrote, in every log', `${b.scanCount} / ${b.truth.podsForbidden} lines; ${b.scanLines} of ${b.truth.lines} lines; ${b.scanFiles} of ${b.files} logs, ${b.skipped} report files skipped`, verdict(b.scanCount === b.truth.podsForbidden && b.scanLines === b.truth.lines && b.scanFiles === b.files && b.skipped === 2));
	}
	return lines.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	process.stdout.write(renderReport(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
}

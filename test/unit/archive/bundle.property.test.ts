// Property: a bundle says what its files say. Random pod logs (forbidden lines of both families, look-alikes,
// benign lines, CRLF, lines cut across chunks), packed as tar or tar.gz in random chunkings, scanned through
// openStream and createLogFilesScanner, give for every file exactly what scanning that file alone gives, and the
// totals are their sums.
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {gzipSync} from 'node:zlib';
import fc from 'fast-check';
import {openStream} from '../../../source/archive/inputs.js';
import {ReadMeter} from '../../../source/archive/limits.js';
import {createLogFilesScanner} from '../../../source/multus/log-files.js';
import {scanText} from '../../../source/multus/logs.js';
import {chunked, tarArchive} from '../../helpers/tar.js';

const user = 'system:serviceaccount:kube-system:multus';
const lines = [
	`E1201 12:50:27.375579 8196 reflector.go:204] "Failed to watch" err="failed to list *v1.Pod: pods is forbidden: User \\"${user}\\" cannot list resource \\"pods\\" in API group \\"\\" at the cluster scope"`,
	'2023-11-13T11:23:01.338378331-06:00 stderr F E1113 17:23:01.338032  777873 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)',
	`W1201 08:49:55.078260 4639 reflector.go:569] x/factory.go:117: failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User "${user}" cannot watch resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" at the cluster scope`,
	'W1125 16:44:02.369229 4366 reflector.go:539] k8s.io/client-go/informers/factory.go:159: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods": dial tcp 10.96.0.1:443: connect: connection refused',
	'2024-11-25T16:44:21Z [error] failed to sync pod informer cache',
	'2024-11-25T16:44:01Z [verbose] multus-daemon started',
	'==== START logs for container kube-multus of pod kube-system/kube-multus-ds-x ====',
	'',
];

const podLog = fc
	.record({picks: fc.array(fc.nat(lines.length - 1), {maxLength: 60}), crlf: fc.boolean(), trailingNewline: fc.boolean()})
	.map(({picks, crlf, trailingNewline}) => picks.map(i => lines[i]).join(crlf ? '\r\n' : '\n') + (trailingNewline && picks.length > 0 ? '\n' : ''));

describe('a bundle is the sum of its files', () => {
	test('property: per-file counts, findings by file and line, and totals match scanning each file alone', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.uniqueArray(fc.record({name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), text: podLog, gzipped: fc.boolean()}), {selector: file => file.name, minLength: 1, maxLength: 6}),
				fc.boolean(),
				fc.array(fc.integer({min: 1, max: 3000}), {minLength: 1, maxLength: 5}),
				async (files, gzipWhole, chunks) => {
					const paths = files.map(file => `multus-report/logs/kube-system/${file.name}/kube-multus.log${file.gzipped ? '.gz' : ''}`);
					const archive = tarArchive([
						{path: 'multus-report/report.json', content: '{}'},
						...files.map((file, i) => ({path: paths[i]!, content: file.gzipped ? gzipSync(file.text) : Buffer.from(file.text)})),
					]);
					const input = gzipWhole ? gzipSync(archive) : archive;
					const opened = await openStream('b', chunked(input, chunks), new ReadMeter({maxBytes: 1 << 30, maxEntries: 1000, maxDepth: 32, maxRatio: 500}));
					assert.equal(opened.format, gzipWhole ? 'tar.gz' : 'tar');
					const scanner = createLogFilesScanner();
					for await (const item of opened.items) {
						if (item.kind === 'skipped') {
							assert.equal(item.path, 'multus-report/report.json');
							continue;
						}
						const one = scanner.file(item.path, item.compressed);
						for await (const chunk of item.chunks) one.push(chunk);
						one.end();
					}
					const total = scanner.end();
					const alone = files.map(file => scanText(file.text));
					assert.deepEqual(total.files.map(file => [file.file, file.compressed, file.lines, file.bytes, file.podsForbidden, file.nadsForbidden, file.lookalikes]),
						alone.map((summary, i) => [paths[i], files[i]!.gzipped, summary.lines, summary.bytes, summary.podsForbidden, summary.nadsForbidden, summary.lookalikes]));
					assert.deepEqual(total.findings.map(finding => [finding.file, finding.line, finding.kind, finding.verb, finding.user]),
						alone.flatMap((summary, i) => summary.findings.map(finding => [paths[i], finding.line, finding.kind, finding.verb, finding.user])));
					assert.deepEqual(total.lookalikeFindings.map(finding => [finding.file, finding.line, finding.kind]),
						alone.flatMap((summary, i) => summary.lookalikeFindings.map(finding => [paths[i], finding.line, finding.kind])));
					const sum = (key: 'lines' | 'bytes' | 'podsForbidden' | 'nadsForbidden' | 'lookalikes') => alone.reduce((acc, summary) => acc + summary[key], 0);
					assert.deepEqual([total.lines, total.bytes, total.podsForbidden, total.nadsForbidden, total.lookalikes], [sum('lines'), sum('bytes'), sum('podsForbidden'), sum('nadsForbidden'), sum('lookalikes')]);
					const firsts = alone.map((summary, i) => summary.firstForbidden && {file: paths[i], ...summary.firstForbidden}).filter(Boolean);
					assert.deepEqual(total.firstForbidden, firsts[0] ?? null);
					assert.deepEqual(total.lastForbidden, alone.map((summary, i) => summary.lastForbidden && {file: paths[i], ...summary.lastForbidden}).filter(Boolean).at(-1) ?? null);
				},
			),
			{numRuns: 120},
		);
	});

	test('the caps hold over all files: at most maxFindings findings in all, the rest counted and marked truncated', () => {
		const scanner = createLogFilesScanner({maxFindings: 5});
		for (let i = 0; i < 4; i++) {
			const one = scanner.file(`f${i}.log`);
			one.push(`${lines[0]}\n`.repeat(3));
			one.end();
		}
		const total = scanner.end();
		assert.equal(total.podsForbidden, 12);
		assert.deepEqual(total.findings.map(finding => [finding.file, finding.line]), [['f0.log', 1], ['f0.log', 2], ['f0.log', 3], ['f1.log', 1], ['f1.log', 2]]);
		assert.equal(total.truncated, true);
		assert.deepEqual(total.groups.map(group => [group.count, group.first.file, group.last.file, group.last.line]), [[12, 'f0.log', 'f3.log', 3]]);
	});

	test('a thousand log files are listed, more are counted: a bundle of many long names is not held whole', () => {
		const scanner = createLogFilesScanner();
		for (let i = 0; i < 1005; i++) {
			const one = scanner.file(`logs/${'p'.repeat(200)}-${i}.log`);
			one.push(i % 2 === 0 ? `${lines[0]}\n` : `${lines[5]}\n`);
			one.end();
		}
		const total = scanner.end();
		assert.equal(total.files.length, 1000);
		assert.equal(total.fileCount, 1005);
		assert.equal(total.filesWithPodsForbidden, 503);
		assert.equal(total.podsForbidden, 503);
		assert.equal(total.truncated, true);
	});
});

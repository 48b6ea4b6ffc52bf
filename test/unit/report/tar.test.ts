// The bundle's tar writer: what it writes, GNU tar reads back (names long and short, contents byte for byte,
// directories first), and it refuses a path that would leave the bundle's directory.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {tarArchive, tarGz, withDirectories} from '../../../source/report/tar.js';

const work = mkdtempSync(path.join(tmpdir(), 'report-tar-'));
after(() => rmSync(work, {recursive: true, force: true}));

describe('tarGz', () => {
	const long = `logs/kube-system/${'kube-multus-ds-'.repeat(12)}abcde/kube-multus.log`;
	const longer = `bundle/${'a'.repeat(120)}/${'b'.repeat(150)}/c.log`;
	const files = [
		{path: 'multus-report/report.md', content: '### kubectl multus report\n'},
		{path: 'multus-report/report.json', content: '{"reportVersion":1}\n'},
		{path: `multus-report/${long}`, content: 'é line one\nline two\n'},
		{path: `multus-report/${longer}`, content: Buffer.from([0, 1, 2, 255])},
		{path: 'multus-report/logs/empty.log', content: ''},
	];

	test('GNU tar lists every file, each directory before its files, and extracts the contents byte for byte', () => {
		const file = path.join(work, 'bundle.tar.gz');
		writeFileSync(file, tarGz(withDirectories(files), new Date('2026-12-01T13:00:00Z')));
		const listed = execFileSync('tar', ['-tzf', file], {encoding: 'utf8'}).trim().split('\n');
		for (const entry of files) assert.ok(listed.includes(entry.path), entry.path);
		assert.ok(listed.indexOf('multus-report/') < listed.indexOf('multus-report/report.md'));
		assert.ok(listed.indexOf('multus-report/logs/') < listed.indexOf('multus-report/logs/empty.log'));
		const out = path.join(work, 'out');
		execFileSync('mkdir', ['-p', out]);
		execFileSync('tar', ['-xzf', file, '-C', out]);
		for (const entry of files) assert.deepEqual(readFileSync(path.join(out, entry.path)), Buffer.from(entry.content as string | Buffer), entry.path);
		const verbose = execFileSync('tar', ['-tvzf', file, 'multus-report/report.md'], {encoding: 'utf8'});
		assert.match(verbose, /^-rw-r--r-- 0\/0 +26 2026-12-01 13:00 multus-report\/report\.md/);
	});

	test('the archive is whole 512-byte blocks ending in two zero blocks', () => {
		const archive = tarArchive(files, new Date(0));
		assert.equal(archive.length % 512, 0);
		assert.ok(archive.subarray(-1024).every(byte => byte === 0));
	});

	test('refuses a path that leaves the directory, or is not a path', () => {
		for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', './a', '']) {
			assert.throws(() => tarArchive([{path: bad, content: 'x'}], new Date(0)), /not a relative path inside the bundle/, bad);
		}
	});
});

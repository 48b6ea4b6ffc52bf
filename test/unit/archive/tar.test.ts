import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, linkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import fc from 'fast-check';
import {isTarHeader, readTar} from '../../../source/archive/tar.js';
import {ArchiveError} from '../../../source/archive/limits.js';
import {chunked, entriesOf, paxEntry, tarArchive, tarEnd, tarEntry, tarHeader} from '../../helpers/tar.js';

async function failure(promise: Promise<unknown>): Promise<ArchiveError> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof ArchiveError, `an ArchiveError, not ${String(error)}`);
		return error;
	}
	assert.fail('expected the archive to be refused');
}

describe('readTar: what writers write', () => {
	test('files of every size around a block, a directory and links, in order, with their content', async () => {
		const sizes = [0, 1, 511, 512, 513, 1024, 70_000];
		const specs = [
			{path: 'bundle/', type: '5'},
			...sizes.map(size => ({path: `bundle/f${size}.log`, content: 'x'.repeat(Math.max(0, size - 1)) + (size > 0 ? '\n' : '')})),
			{path: 'bundle/latest.log', type: '2', linkTarget: 'f1.log'},
			{path: 'bundle/again.log', type: '1', linkTarget: 'bundle/f1.log'},
		];
		const entries = await entriesOf(readTar(chunked(tarArchive(specs), [700, 13, 512, 4096])));
		assert.deepEqual(entries.map(entry => [entry.path, entry.type, entry.linkTarget]), [
			['bundle/', 'directory', ''],
			...sizes.map(size => [`bundle/f${size}.log`, 'file', '']),
			['bundle/latest.log', 'symlink', 'f1.log'],
			['bundle/again.log', 'hardlink', 'bundle/f1.log'],
		]);
		assert.deepEqual(entries.slice(1, 1 + sizes.length).map(entry => entry.content.length), sizes);
	});

	test('names: ustar prefix, PAX path and linkpath (UTF-8), GNU long names', async () => {
		const long = `${'d/'.repeat(80)}pod.log`;
		const archive = Buffer.concat([
			tarEntry({path: 'name.log', prefix: 'some/prefix', content: 'a\n'}),
			paxEntry({path: `ns/pöd-😀/${long}`, linkpath: 'ignored-for-files'}),
			tarEntry({path: 'truncated-name', content: 'b\n'}),
			tarEntry({path: '././@LongLink', type: 'L', content: `${long}\0`}),
			tarEntry({path: long.slice(0, 99), content: 'c\n'}),
			tarEntry({path: '././@LongLink', type: 'K', content: `target/${long}`}),
			tarEntry({path: 'link', type: '2', linkTarget: 'short'}),
			tarEnd,
		]);
		const entries = await entriesOf(readTar(chunked(archive, [1000])));
		assert.deepEqual(entries.map(entry => [entry.path, entry.content]), [
			['some/prefix/name.log', 'a\n'],
			[`ns/pöd-😀/${long}`, 'b\n'],
			[long, 'c\n'],
			['link', ''],
		]);
		assert.equal(entries[3]?.linkTarget, `target/${long}`);
	});

	test('a PAX size and a GNU base-256 size are read', async () => {
		const content = 'z'.repeat(600);
		const archive = Buffer.concat([paxEntry({size: '600'}), tarEntry({path: 'p.log', content, size: 0}), tarEntry({path: 'g.log', content, base256: true}), tarEnd]);
		const entries = await entriesOf(readTar(chunked(archive)));
		assert.deepEqual(entries.map(entry => [entry.path, entry.content.length]), [['p.log', 600], ['g.log', 600]]);
	});

	test('GNU tar, POSIX pax and ustar archives of a real tree (long, non-ASCII and control-character names, links)', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'kubectl-multus-tar-'));
		try {
			const tree = join(dir, 'tree');
			const deep = join(tree, 'kube-system', 'a'.repeat(60), 'b'.repeat(60));
			mkdirSync(deep, {recursive: true});
			writeFileSync(join(deep, 'kube-multus.log'), 'deep\n');
			writeFileSync(join(tree, 'kube-system', 'pöd\u001b[31m.log'), 'odd\n');
			symlinkSync('kube-system', join(tree, 'current'));
			linkSync(join(deep, 'kube-multus.log'), join(tree, 'hard.log'));
			for (const format of ['gnu', 'pax', 'ustar']) {
				const archive = execFileSync('tar', ['--format', format, '--sort=name', '-cf', '-', '-C', dir, 'tree'], {maxBuffer: 1 << 26});
				const entries = await entriesOf(readTar(chunked(archive, [333])));
				const byPath = new Map(entries.map(entry => [entry.path.replace(/\/$/, ''), entry]));
				const deepPath = `tree/kube-system/${'a'.repeat(60)}/${'b'.repeat(60)}/kube-multus.log`;
				assert.ok(byPath.has(deepPath), `${format}: long path`);
				assert.equal(byPath.get('tree/kube-system/pöd\u001b[31m.log')?.content, 'odd\n', `${format}: odd name`);
				assert.equal(byPath.get('tree/current')?.type, 'symlink', format);
				assert.equal(byPath.get('tree/current')?.linkTarget, 'kube-system', format);
				const hard = [byPath.get('tree/hard.log'), byPath.get(deepPath)];
				assert.deepEqual(hard.map(entry => entry?.type).sort(), ['file', 'hardlink'], `${format}: one of the two names is a hard link`);
				assert.equal(hard.find(entry => entry?.type === 'file')?.content, 'deep\n', `${format}: the content, under the first name`);
				assert.equal(byPath.get('tree/kube-system')?.type, 'directory', format);
			}
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});

	test('bodies not read are skipped, and the next entry is still found', async () => {
		const archive = tarArchive([{path: 'a.log', content: 'a'.repeat(5000)}, {path: 'b.log', content: 'b\n'}]);
		const seen: string[] = [];
		for await (const entry of readTar(chunked(archive, [100]))) {
			seen.push(entry.path);
			if (entry.path === 'a.log') {
				for await (const _ of entry.body) break; // read a little, then leave
			}
		}
		assert.deepEqual(seen, ['a.log', 'b.log']);
	});

	test('an archive without its end marker, or cut inside the last padding, loses nothing', async () => {
		const entry = tarEntry({path: 'a.log', content: 'hello\n'});
		assert.deepEqual((await entriesOf(readTar(chunked(entry)))).map(e => e.content), ['hello\n']);
		assert.deepEqual((await entriesOf(readTar(chunked(entry.subarray(0, 512 + 6 + 10))))).map(e => e.content), ['hello\n']);
		assert.deepEqual(await entriesOf(readTar(chunked(Buffer.alloc(0)))), []);
		assert.deepEqual(await entriesOf(readTar(chunked(tarEnd))), []);
	});

	test('isTarHeader: a header by its checksum; log text, zeros and a broken checksum are not', () => {
		assert.equal(isTarHeader(tarHeader({path: 'a'}, 0)), true);
		assert.equal(isTarHeader(tarHeader({path: 'a', badChecksum: true}, 0)), false);
		assert.equal(isTarHeader(Buffer.alloc(512)), false);
		assert.equal(isTarHeader(Buffer.from('2024-11-25T16:44:01Z [verbose] multus-daemon started\n'.repeat(20))), false);
		assert.equal(isTarHeader(tarHeader({path: 'a'}, 0).subarray(0, 511)), false);
	});
});

describe('readTar: damaged and hostile archives', () => {
	test('cut inside a header or a body: truncated, naming the entry and how much of it arrived', async () => {
		const archive = tarArchive([{path: 'a.log', content: 'a'.repeat(1000)}, {path: 'b.log', content: 'b'.repeat(10)}]);
		const inHeader = await failure(entriesOf(readTar(chunked(archive.subarray(0, 100)))));
		assert.equal(inHeader.reason, 'truncated');
		assert.match(inHeader.message, /ends inside a header \(100 of 512 bytes at offset 0\)/);
		const inBody = await failure(entriesOf(readTar(chunked(archive.subarray(0, 512 + 700), [64]))));
		assert.equal(inBody.reason, 'truncated');
		assert.match(inBody.message, /ends inside "a\.log" \(700 of its 1000 bytes\)/);
		// Not reading the body: the skip finds the same.
		const skipping = readTar(chunked(archive.subarray(0, 512 + 700)));
		const error = await failure((async () => {
			for await (const _ of skipping);
		})());
		assert.match(error.message, /ends inside "a\.log" \(700 of its 1000 bytes\)/);
	});

	test('property: an archive cut anywhere before its last byte of content is refused as truncated, or read whole up to an entry boundary', async () => {
		const files = fc.array(fc.record({name: fc.stringMatching(/^[a-z]{1,12}$/), size: fc.nat(1500)}), {minLength: 1, maxLength: 5});
		await fc.assert(
			fc.asyncProperty(files, fc.nat(), fc.array(fc.integer({min: 1, max: 2000}), {minLength: 1, maxLength: 4}), async (specs, cutSeed, chunks) => {
				const entries = specs.map(({name, size}) => ({path: `${name}.log`, content: 'L'.repeat(size)}));
				const archive = tarArchive(entries);
				const cut = cutSeed % archive.length;
				// Where each entry's header starts and its content ends.
				const boundaries: {start: number; contentEnd: number; end: number}[] = [];
				let at = 0;
				for (const entry of entries) {
					const end = at + 512 + Math.ceil(entry.content.length / 512) * 512;
					boundaries.push({start: at, contentEnd: at + 512 + entry.content.length, end});
					at = end;
				}
				try {
					const read = await entriesOf(readTar(chunked(archive.subarray(0, cut), chunks)));
					// Accepted: the cut fell where no entry was in progress (between entries, in padding, in the end marker).
					for (const {start, contentEnd} of boundaries) assert.ok(!(cut > start && cut < contentEnd), `cut ${cut} inside an entry was accepted`);
					assert.deepEqual(read.map(entry => entry.content.length), entries.filter((_, i) => (boundaries[i]?.contentEnd ?? 0) <= cut).map(entry => entry.content.length));
				} catch (error) {
					assert.ok(error instanceof ArchiveError && error.reason === 'truncated', String(error));
					assert.ok(boundaries.some(({start, contentEnd}) => cut > start && cut < contentEnd), `cut ${cut} refused though no entry was in progress`);
				}
			}),
			{numRuns: 150},
		);
	});

	test('property: any split into chunks gives the same entries', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(fc.uint8Array({maxLength: 2000}), {minLength: 1, maxLength: 4}), fc.array(fc.integer({min: 1, max: 1500}), {minLength: 1, maxLength: 6}), async (contents, sizes) => {
				const archive = tarArchive(contents.map((content, i) => ({path: `f${i}`, content: Buffer.from(content)})));
				const parts: Buffer[][] = [];
				for await (const entry of readTar(chunked(archive, sizes))) {
					const body: Buffer[] = [];
					for await (const chunk of entry.body) body.push(Buffer.from(chunk));
					parts.push(body);
				}
				assert.deepEqual(parts.map(body => Buffer.concat(body)), contents.map(content => Buffer.from(content)));
			}),
			{numRuns: 100},
		);
	});

	test('a header with a wrong checksum (garbage after the first entry): corrupt, with its offset', async () => {
		const archive = Buffer.concat([tarEntry({path: 'a.log', content: 'a\n'}), Buffer.from('x'.repeat(512))]);
		const error = await failure(entriesOf(readTar(chunked(archive))));
		assert.equal(error.reason, 'corrupt');
		assert.match(error.message, /not a tar header at offset 1024/);
	});

	test('a PAX header or long name larger than 1 MiB is refused before it is read (it would be held whole)', async () => {
		const header = tarHeader({path: '././@LongLink', type: 'L'}, 50 << 20);
		let pulled = 0;
		async function* source(): AsyncGenerator<Buffer> {
			yield header;
			for (;;) {
				pulled++;
				yield Buffer.alloc(64 << 10, 0x61);
			}
		}
		const error = await failure(entriesOf(readTar(source())));
		assert.match(error.message, /a GNU long-name header of 52428800 bytes at offset 0 \(at most 1048576 are read\)/);
		assert.equal(pulled, 0);
	});

	test('a malformed PAX record is corrupt; a size that is not a number is corrupt', async () => {
		const bad = tarEntry({path: 'p', type: 'x', content: '99 path=x\n'});
		assert.match((await failure(entriesOf(readTar(chunked(Buffer.concat([bad, tarEntry({path: 'a'}), tarEnd])))))).message, /malformed PAX record/);
		const header = tarHeader({path: 'a'}, 0);
		header.write('zzzzzzzzzzz\0', 124, 'latin1');
		header.fill(32, 148, 156);
		let sum = 0;
		for (const byte of header) sum += byte;
		header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
		assert.match((await failure(entriesOf(readTar(chunked(header))))).message, /entry size that is not a number/);
	});

	test('a declared size of petabytes is read as the stream allows (refused when it ends), never allocated', async () => {
		const archive = Buffer.concat([tarHeader({path: 'huge.log', base256: true}, 2 ** 50), Buffer.from('line\n')]);
		const error = await failure(entriesOf(readTar(chunked(archive))));
		assert.match(error.message, /ends inside "huge\.log" \(5 of its 1125899906842624 bytes\)/);
	});

	test('escaping, absolute and link entries are reported as written, not resolved (the caller decides)', async () => {
		const archive = tarArchive([
			{path: '../../etc/cron.d/x', content: 'evil\n'},
			{path: '/etc/passwd', content: 'root\n'},
			{path: 'logs/passwd', type: '2', linkTarget: '/etc/passwd'},
			{path: 'logs/shadow', type: '1', linkTarget: '../../etc/shadow'},
		]);
		const entries = await entriesOf(readTar(chunked(archive)));
		assert.deepEqual(entries.map(entry => [entry.path, entry.type, entry.linkTarget]), [
			['../../etc/cron.d/x', 'file', ''],
			['/etc/passwd', 'file', ''],
			['logs/passwd', 'symlink', '/etc/passwd'],
			['logs/shadow', 'hardlink', '../../etc/shadow'],
		]);
	});
});

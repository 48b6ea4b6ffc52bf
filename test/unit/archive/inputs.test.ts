import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {execFileSync} from 'node:child_process';
import {createGzip, gzipSync} from 'node:zlib';
import {Readable} from 'node:stream';
import {normalisePath, openDirectory, openStream} from '../../../source/archive/inputs.js';
import type {InputItem, OpenedInput} from '../../../source/archive/inputs.js';
import {ArchiveError, LimitError, ReadMeter, ratioFloorBytes} from '../../../source/archive/limits.js';
import type {ReadLimits} from '../../../source/archive/limits.js';
import {chunked, paxEntry, tarArchive, tarEnd, tarEntry, tarHeader} from '../../helpers/tar.js';

const defaults: ReadLimits = {maxBytes: 16 * 2 ** 30, maxEntries: 100_000, maxDepth: 32, maxRatio: 500};
const meter = (limits: Partial<ReadLimits> = {}) => new ReadMeter({...defaults, ...limits});

type Seen = {path: string; kind: 'log'; compressed: boolean; text: string} | {path: string; kind: 'skipped'; reason: string; detail: string | null};

async function itemsOf(opened: OpenedInput): Promise<Seen[]> {
	const out: Seen[] = [];
	for await (const item of opened.items as AsyncIterable<InputItem>) {
		if (item.kind === 'skipped') out.push({path: item.path, kind: 'skipped', reason: item.reason, detail: item.detail});
		else {
			const parts: Buffer[] = [];
			for await (const chunk of item.chunks) parts.push(chunk);
			out.push({path: item.path, kind: 'log', compressed: item.compressed, text: Buffer.concat(parts).toString('utf8')});
		}
	}
	return out;
}

/** Opens and reads the whole input (a refusal may come from either). */
async function readAll(label: string, input: AsyncIterable<Buffer>, limits: ReadMeter): Promise<Seen[]> {
	return itemsOf(await openStream(label, input, limits));
}

async function refusal<T extends Error>(kind: new (...args: never[]) => T, promise: Promise<unknown>): Promise<T> {
	try {
		await promise;
	} catch (error) {
		assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
		return error;
	}
	assert.fail(`expected a ${kind.name}`);
}

const log = 'W1109 23:47:55.914854 1 reflector.go:533] failed to list *v1.Pod: pods is forbidden\n';

describe('openStream: told by content, not by name', () => {
	test('plain text is one log under its label', async () => {
		const opened = await openStream('pod.log', chunked(Buffer.from(log)), meter());
		assert.equal(opened.format, 'text');
		assert.deepEqual(await itemsOf(opened), [{path: 'pod.log', kind: 'log', compressed: false, text: log}]);
	});

	test('gzip is decompressed (several members too, as gunzip does), whatever the name', async () => {
		const twice = Buffer.concat([gzipSync(log), gzipSync(log)]);
		const opened = await openStream('pod.log', chunked(twice, [7]), meter());
		assert.equal(opened.format, 'gzip');
		assert.deepEqual(await itemsOf(opened), [{path: 'pod.log', kind: 'log', compressed: true, text: log + log}]);
	});

	test('tar and tar.gz: every log in it, by its path inside; JSON, YAML and Markdown skipped by name; directories silent', async () => {
		const archive = tarArchive([
			{path: './bundle/', type: '5'},
			{path: './bundle/report.md', content: '# report\n'},
			{path: './bundle/report.json', content: '{}'},
			{path: './bundle/logs/kube-system/kube-multus-ds-x/kube-multus.log', content: log},
			{path: './bundle/logs/kube-system/kube-multus-ds-y/kube-multus.log.gz', content: gzipSync(log)},
			{path: './bundle/kube-system/pods.yaml', content: 'items: []\n'},
		]);
		for (const [bytes, format] of [[archive, 'tar'], [gzipSync(archive), 'tar.gz']] as const) {
			const opened = await openStream('bundle.log', chunked(bytes, [1000]), meter());
			assert.equal(opened.format, format);
			assert.deepEqual(await itemsOf(opened), [
				{path: 'bundle/report.md', kind: 'skipped', reason: 'structured', detail: 'Markdown'},
				{path: 'bundle/report.json', kind: 'skipped', reason: 'structured', detail: 'JSON'},
				{path: 'bundle/logs/kube-system/kube-multus-ds-x/kube-multus.log', kind: 'log', compressed: false, text: log},
				{path: 'bundle/logs/kube-system/kube-multus-ds-y/kube-multus.log.gz', kind: 'log', compressed: true, text: log},
				{path: 'bundle/kube-system/pods.yaml', kind: 'skipped', reason: 'structured', detail: 'YAML'},
			]);
		}
	});

	test('binary files and archives inside an archive are skipped, not opened; the entries after them are read', async () => {
		const inner = tarArchive([{path: 'inner.log', content: log}]);
		const archive = tarArchive([
			{path: 'core', content: Buffer.concat([Buffer.from('\u007fELF'), Buffer.alloc(100)])},
			{path: 'nested.tar', content: inner},
			{path: 'nested.tgz', content: gzipSync(inner)},
			{path: 'double.gz', content: gzipSync(gzipSync(log))},
			{path: 'after.log', content: log},
		]);
		assert.deepEqual(await itemsOf(await openStream('b', chunked(archive, [300]), meter())), [
			{path: 'core', kind: 'skipped', reason: 'binary', detail: 'a NUL byte in its first 8 KiB'},
			{path: 'nested.tar', kind: 'skipped', reason: 'archive', detail: 'an archive inside is not opened'},
			{path: 'nested.tgz', kind: 'skipped', reason: 'archive', detail: 'an archive inside is not opened'},
			{path: 'double.gz', kind: 'skipped', reason: 'archive', detail: 'an archive inside is not opened'},
			{path: 'after.log', kind: 'log', compressed: false, text: log},
		]);
	});

	test('zip, xz, bzip2, zstd, 7-zip and lz4 are named and refused alone, skipped inside a bundle; text that merely starts with "BZh" or "PK" is a log', async () => {
		const magics: Array<[string, number[]]> = [
			['a zip archive', [0x50, 0x4b, 0x03, 0x04, 20, 0]],
			['xz data', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
			['bzip2 data', [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59]],
			['zstd data', [0x28, 0xb5, 0x2f, 0xfd]],
			['a 7-zip archive', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
			['lz4 data', [0x04, 0x22, 0x4d, 0x18]],
		];
		for (const [name, magic] of magics) {
			const bytes = Buffer.concat([Buffer.from(magic), Buffer.from('x'.repeat(64))]);
			const error = await refusal(ArchiveError, readAll('f', chunked(bytes), meter()));
			assert.equal(error.reason, 'foreign');
			assert.equal(error.format?.name, name);
			assert.equal(error.message, `it is ${name}, which scan does not open`);
			const gunzipped = await refusal(ArchiveError, readAll('f.gz', chunked(gzipSync(bytes)), meter()));
			assert.equal(gunzipped.message, `once gunzipped, it is ${name}, which scan does not open`);
			const bundle = tarArchive([{path: 'inner', content: bytes}, {path: 'after.log', content: log}]);
			assert.deepEqual(await itemsOf(await openStream('b', chunked(bundle), meter())), [
				{path: 'inner', kind: 'skipped', reason: 'archive', detail: `${name}, not opened`},
				{path: 'after.log', kind: 'log', compressed: false, text: log},
			]);
		}
		for (const text of ['BZh9 is not bzip2\n', 'PK is a log line\n']) {
			assert.deepEqual(await readAll('t.log', chunked(Buffer.from(text)), meter()), [{path: 't.log', kind: 'log', compressed: false, text}]);
		}
	});

	test('UTF-16 with a byte-order mark (little or big endian, gzip\'d too) is read as its text, a pair split across chunks kept; without one it is refused as binary', async () => {
		const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(log, 'utf16le')]);
		const big = Buffer.from(little);
		big.swap16();
		for (const bytes of [little, big]) {
			assert.deepEqual(await readAll('u.log', chunked(bytes, [3, 7]), meter()), [{path: 'u.log', kind: 'log', compressed: false, text: log}]);
			assert.deepEqual(await readAll('u.log.gz', chunked(gzipSync(bytes), [5]), meter()), [{path: 'u.log.gz', kind: 'log', compressed: true, text: log}]);
		}
		const inBundle = tarArchive([{path: 'u.log', content: little}]);
		assert.deepEqual(await itemsOf(await openStream('b', chunked(inBundle), meter())), [{path: 'u.log', kind: 'log', compressed: false, text: log}]);
		const error = await refusal(ArchiveError, readAll('n.log', chunked(Buffer.from(log, 'utf16le')), meter()));
		assert.equal(error.reason, 'binary');
		assert.equal(error.message, 'it is not a text log: a NUL byte at offset 1, in its first 8 KiB');
	});

	test('an empty tar is a tar with no logs; an empty input is an empty log', async () => {
		const empty = await openStream('e.tar', chunked(tarEnd), meter());
		assert.equal(empty.format, 'tar');
		assert.deepEqual(await itemsOf(empty), []);
		const nothing = await openStream('-', chunked(Buffer.alloc(0)), meter());
		assert.equal(nothing.format, 'text');
		assert.deepEqual(await itemsOf(nothing), [{path: '-', kind: 'log', compressed: false, text: ''}]);
	});
});

describe('openStream: hostile archives', () => {
	test('paths that escape (.., absolute) and links are skipped and named, never followed; the rest is read', async () => {
		const archive = tarArchive([
			{path: '../../etc/cron.d/evil.log', content: log},
			{path: '/var/log/x.log', content: log},
			{path: 'a/../../up.log', content: log},
			{path: 'a/./b/../ok.log', content: log},
			{path: 'logs/passwd.log', type: '2', linkTarget: '/etc/passwd'},
			{path: 'logs/shadow.log', type: '1', linkTarget: '../../etc/shadow'},
			{path: 'dev/null', type: '3'},
			{path: 'fifo', type: '6'},
		]);
		assert.deepEqual(await itemsOf(await openStream('b.tar', chunked(archive), meter())), [
			{path: '../../etc/cron.d/evil.log', kind: 'skipped', reason: 'escapes', detail: 'climbs out of the archive with ..'},
			{path: '/var/log/x.log', kind: 'skipped', reason: 'escapes', detail: 'an absolute path'},
			{path: 'a/../../up.log', kind: 'skipped', reason: 'escapes', detail: 'climbs out of the archive with ..'},
			{path: 'a/ok.log', kind: 'log', compressed: false, text: log},
			{path: 'logs/passwd.log', kind: 'skipped', reason: 'symlink', detail: 'to /etc/passwd'},
			{path: 'logs/shadow.log', kind: 'skipped', reason: 'hardlink', detail: 'to ../../etc/shadow'},
			{path: 'dev/null', kind: 'skipped', reason: 'special', detail: 'tar entry type "3"'},
			{path: 'fifo', kind: 'skipped', reason: 'special', detail: 'tar entry type "6"'},
		]);
	});

	test('a path longer than any file system holds (4096 bytes) is refused: names are kept, and a hostile one would be held', async () => {
		const archive = Buffer.concat([paxEntry({path: `${'a'.repeat(5000)}.log`}), tarEntry({path: 'x.log', content: log}), tarEnd]);
		const error = await refusal(ArchiveError, readAll('long.tar', chunked(archive), meter()));
		assert.equal(error.reason, 'corrupt');
		assert.match(error.message, /an entry's path of 5004 bytes \(no file system holds a path over 4096\)/);
		const fine = Buffer.concat([paxEntry({path: `${'a/'.repeat(10)}${'b'.repeat(4000)}.log`}), tarEntry({path: 'x.log', content: log}), tarEnd]);
		assert.equal((await readAll('long.tar', chunked(fine), meter())).length, 1);
	});

	test('normalisePath', () => {
		assert.equal(normalisePath('./a//b/./c/'), 'a/b/c');
		assert.equal(normalisePath('a/b/../c'), 'a/c');
		assert.equal(normalisePath('a/../..'), null);
		assert.equal(normalisePath('/a'), null);
		assert.equal(normalisePath('C:\\x'), null);
		assert.equal(normalisePath('..'), null);
		assert.equal(normalisePath('...'), '...');
	});

	test('more entries than --max-entries: stopped at the first one over, streamed (a million headers are never held)', async () => {
		let made = 0;
		async function* endless(): AsyncGenerator<Buffer> {
			for (;;) yield tarEntry({path: `e/${made++}`});
		}
		const error = await refusal(LimitError, readAll('many.tar', endless(), meter({maxEntries: 1000})));
		assert.equal(error.limit, 'maxEntries');
		assert.equal(error.value, 1000);
		assert.equal(error.where, 'e/1000');
		assert.ok(made < 1100, `read ${made} entries to find the 1001st`);
	});

	test('the default bound holds 100000 entries and stops the next (streamed, 51 MB of headers)', async () => {
		let made = 0;
		async function* many(): AsyncGenerator<Buffer> {
			const batch: Buffer[] = [];
			for (;;) {
				for (let i = 0; i < 256; i++) batch.push(tarHeader({path: `d/${made++}`, type: '5'}, 0));
				yield Buffer.concat(batch.splice(0));
			}
		}
		const error = await refusal(LimitError, readAll('many.tar', many(), meter()));
		assert.equal(error.limit, 'maxEntries');
		assert.equal(error.where, 'd/100000');
	});

	test('a path deeper than --max-depth is refused', async () => {
		const deep = `${'d/'.repeat(40)}x.log`;
		const archive = tarArchive([{path: 'shallow.log', content: log}, {path: deep, content: log}]);
		const error = await refusal(LimitError, readAll('deep.tar', chunked(archive), meter()));
		assert.deepEqual([error.limit, error.value, error.where], ['maxDepth', 32, deep]);
		assert.equal((await readAll('deep.tar', chunked(archive), meter({maxDepth: 41}))).length, 2);
	});

	test('a gzip bomb is stopped by --max-ratio once 64 MiB are out, having read a few hundred KiB of it', async () => {
		let deflated = 0;
		const bomb = async function* (): AsyncGenerator<Buffer> {
			// 1 GiB of one letter, gzip'd as it is generated (about 1 MB): a log that is one very long line.
			const zeros = Readable.from((function* () {
				for (let i = 0; i < 1024; i++) yield Buffer.alloc(1 << 20, 0x61);
			})());
			for await (const chunk of zeros.pipe(createGzip({level: 9}))) {
				deflated += (chunk as Buffer).length;
				yield chunk as Buffer;
			}
		};
		const error = await refusal(LimitError, readAll('bomb.log.gz', bomb(), meter()));
		assert.equal(error.limit, 'maxRatio');
		assert.ok(deflated < 1 << 20, `read ${deflated} compressed bytes`);
		// The floor: a small file that compresses a thousand to one is fine.
		const small = gzipSync(Buffer.alloc(ratioFloorBytes / 2, 0x61));
		assert.equal((await readAll('small.gz', chunked(small), meter())).length, 1);
	});

	test('--max-bytes bounds what gzip produces over the whole input (every entry counted)', async () => {
		const archive = gzipSync(tarArchive([{path: 'a.log', content: 'a'.repeat(3000)}, {path: 'b.log', content: gzipSync('b'.repeat(3000))}]));
		const error = await refusal(LimitError, readAll('b.tgz', chunked(archive), meter({maxBytes: 6000})));
		assert.deepEqual([error.limit, error.value, error.where], ['maxBytes', 6000, 'b.log']);
		assert.equal((await readAll('b.tgz', chunked(archive), meter({maxBytes: 9000}))).length, 2);
	});

	test('truncated or damaged gzip: an ArchiveError that says which', async () => {
		const whole = gzipSync(tarArchive([{path: 'a.log', content: 'x'.repeat(100_000)}]));
		const cut = await refusal(ArchiveError, readAll('b.tgz', chunked(whole.subarray(0, whole.length / 2)), meter()));
		assert.equal(cut.reason, 'truncated');
		const broken = Buffer.from(whole);
		broken.fill(0xff, 20, 40);
		const damaged = await refusal(ArchiveError, readAll('b.tgz', chunked(broken), meter()));
		assert.equal(damaged.reason, 'corrupt');
		assert.match(damaged.message, /gzip data of "b\.tgz" is damaged/);
	});

	test('a truncated .gz entry inside a tar names the entry', async () => {
		const entry = gzipSync('y'.repeat(50_000));
		const archive = tarArchive([{path: 'logs/a.log.gz', content: entry.subarray(0, entry.length - 30)}]);
		const error = await refusal(ArchiveError, readAll('b.tar', chunked(archive), meter()));
		assert.match(error.message, /gzip data of "logs\/a\.log\.gz" ends early/);
	});
});

describe('openDirectory', () => {
	let dir = '';
	before(() => {
		dir = mkdtempSync(join(tmpdir(), 'kubectl-multus-dir-'));
		// The layout of `kubectl cluster-info dump --output-directory`, and some things a directory may hold.
		mkdirSync(join(dir, 'kube-system/kube-multus-ds-b'), {recursive: true});
		mkdirSync(join(dir, 'kube-system/kube-multus-ds-a'), {recursive: true});
		mkdirSync(join(dir, 'default'));
		writeFileSync(join(dir, 'nodes.json'), '{"kind":"NodeList"}');
		writeFileSync(join(dir, 'kube-system/pods.json'), '{"kind":"PodList"}');
		writeFileSync(join(dir, 'kube-system/kube-multus-ds-a/logs.txt'), log);
		writeFileSync(join(dir, 'kube-system/kube-multus-ds-b/logs.txt'), gzipSync(log));
		writeFileSync(join(dir, 'default/bundle.tgz'), gzipSync(tarArchive([{path: 'x.log', content: log}])));
		symlinkSync('/etc/passwd', join(dir, 'default/passwd'));
		symlinkSync('../kube-system', join(dir, 'default/loop'));
		execFileSync('mkfifo', [join(dir, 'default/fifo')]);
		writeFileSync(join(dir, 'default/ctl\u001b]0;x\u0007.log'), log);
	});
	after(() => rmSync(dir, {recursive: true, force: true}));

	test('every log file, in name order, by its path under the directory; links and FIFOs are not followed or opened', async () => {
		const opened = openDirectory(dir, meter());
		assert.equal(opened.format, 'directory');
		assert.deepEqual(await itemsOf(opened), [
			{path: 'default/bundle.tgz', kind: 'skipped', reason: 'archive', detail: 'an archive inside is not opened'},
			{path: 'default/ctl\u001b]0;x\u0007.log', kind: 'log', compressed: false, text: log},
			{path: 'default/fifo', kind: 'skipped', reason: 'special', detail: 'not a regular file'},
			{path: 'default/loop', kind: 'skipped', reason: 'symlink', detail: 'to ../kube-system'},
			{path: 'default/passwd', kind: 'skipped', reason: 'symlink', detail: 'to /etc/passwd'},
			{path: 'kube-system/kube-multus-ds-a/logs.txt', kind: 'log', compressed: false, text: log},
			{path: 'kube-system/kube-multus-ds-b/logs.txt', kind: 'log', compressed: true, text: log},
			{path: 'kube-system/pods.json', kind: 'skipped', reason: 'structured', detail: 'JSON'},
			{path: 'nodes.json', kind: 'skipped', reason: 'structured', detail: 'JSON'},
		]);
	});

	test('--max-entries and --max-depth bound a directory tree too', async () => {
		const entries = await refusal(LimitError, itemsOf(openDirectory(dir, meter({maxEntries: 5}))));
		assert.equal(entries.limit, 'maxEntries');
		const depth = await refusal(LimitError, itemsOf(openDirectory(dir, meter({maxDepth: 2}))));
		assert.deepEqual([depth.limit, depth.where], ['maxDepth', 'kube-system/kube-multus-ds-a/logs.txt']);
	});

	test('a tree the system tar made of it reads the same as the tree (but for what tar keeps of links and FIFOs)', async () => {
		const archive = execFileSync('tar', ['--sort=name', '-czf', '-', '-C', dir, '.']);
		const fromTar = (await readAll('d.tgz', chunked(archive, [4096]), meter())).filter(item => item.kind === 'log');
		const fromDir = (await itemsOf(openDirectory(dir, meter()))).filter(item => item.kind === 'log');
		assert.deepEqual(fromTar, fromDir);
	});
});

// Reading the newest bytes of a log with tailLines and limitBytes (source/multus/log-sample.ts), against a model
// of the kubelet's (and kwok's) log reader: the last N lines, then the first limitBytes bytes of those (issue #12,
// item 6: limitBytes alone read the start of each log).
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {afterLogRead, judgeLogRead, startNewestLogSearch} from '../../../source/multus/log-sample.js';
import {scanText} from '../../../source/multus/logs.js';

/** What the log API returns: the last `tailLines` lines (all without it), cut to the first `limitBytes` bytes. */
function serve(lines: readonly string[], limitBytes: number, tailLines?: number): string {
	const window = (tailLines === undefined ? lines : lines.slice(Math.max(0, lines.length - tailLines))).map(line => `${line}\n`).join('');
	return Buffer.from(window).subarray(0, limitBytes).toString();
}

function readNewest(lines: readonly string[], limitBytes: number): {text: string; reads: number} {
	let reads = 0;
	for (let search = startNewestLogSearch(limitBytes); ; ) {
		reads++;
		const step = afterLogRead(search, serve(lines, limitBytes, search.tailLines));
		if (step.done) return {text: step.text, reads};
		search = step.search;
	}
}

const forbidden = (n: number) => `2026-11-24T22:38:${String(n % 60).padStart(2, '0')}.000000000Z stderr F W1124 22:38:09.000000 1 reflector.go:561] k8s.io/client-go/informers/factory.go:160: failed to list *v1.Pod: pods is forbidden: User "system:serviceaccount:kube-system:multus" cannot list resource "pods" in API group "" at the cluster scope`;
const ordinary = (n: number) => `2026-11-24T22:30:00.000000000Z stderr F 2026-11-24T22:30:00Z [verbose] ordinary line ${n} of the daemon going about its work`;

describe('the newest bytes of a log', () => {
	test('300 KiB of ordinary lines, then 12 forbidden ones: a 256 KiB read holds all 12 (limitBytes alone held none)', () => {
		const lines = [...Array.from({length: 3600}, (_, n) => ordinary(n)), ...Array.from({length: 12}, (_, n) => forbidden(n))];
		assert.ok(lines.join('\n').length > 300 * 1024);
		assert.equal(scanText(serve(lines, 262_144)).podsForbidden, 0, 'the old read: the first 256 KiB');
		const {text, reads} = readNewest(lines, 262_144);
		assert.equal(scanText(text).podsForbidden, 12);
		assert.ok(Buffer.byteLength(text) <= 262_144 && Buffer.byteLength(text) >= 131_072, `${Buffer.byteLength(text)} bytes`);
		assert.ok(reads <= 3, `${reads} reads`);
	});

	test('for any log and budget: whole newest lines within the budget, at least half of it unless the log is smaller; few reads', () => {
		fc.assert(
			fc.property(fc.array(fc.nat({max: 2000}), {maxLength: 400}), fc.integer({min: 1, max: 64 * 1024}), (lengths, limitBytes) => {
				const lines = lengths.map((length, n) => `${n}:${'x'.repeat(length)}`);
				const {text, reads} = readNewest(lines, limitBytes);
				const bytes = Buffer.byteLength(text);
				assert.ok(bytes <= limitBytes);
				assert.ok(reads <= 12);
				const last = lines.at(-1);
				if (last !== undefined && Buffer.byteLength(last) + 1 > limitBytes) {
					// Not even the newest line fits: its first bytes, judged not enough.
					assert.equal(text, `${last}\n`.slice(0, limitBytes));
					assert.equal(judgeLogRead(text, limitBytes).enough, false);
					return;
				}
				const whole = lines.map(line => `${line}\n`).join('');
				assert.ok(whole.endsWith(text), 'a suffix of the log: the newest lines');
				assert.ok(text === '' || text.endsWith('\n'), 'whole lines');
				assert.ok(text === whole || text.length === 0 || whole[whole.length - text.length - 1] === '\n', 'starts at a line');
				// As much as the budget takes, or at least half of it (one more line would not fit, or the log is all read).
				const next = lines.at(-1 - (text.match(/\n/g)?.length ?? 0));
				assert.ok(text === whole || bytes * 2 >= limitBytes || next === undefined || bytes + Buffer.byteLength(next) + 1 > limitBytes, `${bytes} of ${limitBytes}`);
				assert.equal(judgeLogRead(text, limitBytes).enough, true);
			}),
			{seed: 6, numRuns: 300},
		);
	});

	test('a read too small to hold one line is "not enough read", never clean; an empty log is not cut', () => {
		const lines = [forbidden(1)];
		const {text} = readNewest(lines, 10);
		assert.equal(text, forbidden(1).slice(0, 10));
		assert.deepEqual(judgeLogRead(text, 10), {enough: false, reason: 'not enough read: 10 byte(s) hold no whole log line (raise --log-bytes)'});
		assert.deepEqual(judgeLogRead('', 10), {enough: true});
		assert.deepEqual(judgeLogRead('short\n', 10), {enough: true});
	});
});

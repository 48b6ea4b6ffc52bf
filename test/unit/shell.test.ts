// Names in copy-paste commands are shell-quoted (source/shell.ts; issue #12, item 9): what bash reads back is the
// name, whatever it holds, and invisible or bidi characters are shown as escapes.
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fc from 'fast-check';
import {shellQuote} from '../../source/shell.js';
import {say as words, undoHint, writeInDoubt} from '../../source/doctor/present.js';

/** The words bash makes of `text`, each as it arrives in a program's argv. */
function bashWords(text: string): string[] {
	const out = execFileSync('bash', ['-c', `set -- ${text}; printf '%s\\0' "$@"`], {env: {PATH: process.env['PATH'], LC_ALL: 'C'}});
	return out.toString('utf8').split('\0').slice(0, -1);
}

describe('shellQuote', () => {
	test('plain names stay as they are; others are single-quoted; invisible and bidi characters are escapes', () => {
		assert.equal(shellQuote('kube-multus-ds'), 'kube-multus-ds');
		assert.equal(shellQuote('system:serviceaccount:kube-system:multus'), 'system:serviceaccount:kube-system:multus');
		assert.equal(shellQuote('multus;touch PWNED;'), "'multus;touch PWNED;'");
		assert.equal(shellQuote("it's"), "'it'\\''s'");
		assert.equal(shellQuote('app in (a,b),!canary'), "'app in (a,b),!canary'");
		assert.equal(shellQuote('multus\u202e'), "$'multus\\xe2\\x80\\xae'");
		assert.equal(shellQuote('a\u001b]0;pwned\u0007'), "$'a\\x1b]0;pwned\\x07'");
		assert.equal(shellQuote(''), "''");
	});

	test('bash reads every quoted word back exactly, and runs nothing in it', () => {
		const names = fc.sample(fc.string({unit: 'binary', maxLength: 24}).filter(name => !name.includes('\0')), {numRuns: 300, seed: 9});
		names.push('multus;touch PWNED;', '$(touch PWNED)', '`touch PWNED`', "'; touch PWNED; '", 'a\nb', '!!', '-rf', '\u202eevil', 'x\u200by');
		assert.deepEqual(bashWords(names.map(shellQuote).join(' ')), names);
		for (const name of names) {
			const quoted = shellQuote(name);
			assert.doesNotMatch(quoted, /[\p{Cc}\p{Cf}]/u, `${JSON.stringify(name)} shows every invisible character as an escape`);
		}
	});
});

describe('every copy-paste hint quotes the names in it', () => {
	const hostile = 'multus;touch PWNED;';
	const ds = {namespace: 'kube-system', name: 'kube-multus-ds', serviceAccount: 'multus', perNodeCertificates: false} as Parameters<typeof words.noRestart>[0];

	test('the read-back of a patch in doubt, undo with a context, the rollout and restart hints, OnDelete with a selector', () => {
		const facts = {plan: {role: hostile}, found: {daemonSet: ds}} as unknown as Parameters<typeof writeInDoubt>[0];
		assert.match(writeInDoubt(facts, 'patch'), /kubectl get clusterrole 'multus;touch PWNED;' -o yaml/);
		assert.match(undoHint(hostile, {connection: {context: 'prod;rm -rf ~'}}), /^kubectl multus undo --context 'prod;rm -rf ~' /);
		assert.match(words.onDelete(ds, 'OnDelete', 'app in (multus),tier=node'), /delete pod -l 'app in \(multus\),tier=node' --field-selector/);
		assert.match(words.noRestart(ds), /kubectl -n kube-system rollout restart ds\/kube-multus-ds\./);
	});
});

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {fitsOneRow} from '../../source/ui/components/step-lines.js';

describe('fitsOneRow: which lines may skip wrapping', () => {
	test('counts every segment, and fits up to the width exactly', () => {
		assert.equal(fitsOneRow([{text: '    node-000001  '}, {text: 'kube-multus-ds-abcde', style: 'dim'}], 37), true);
		assert.equal(fitsOneRow([{text: '    node-000001  '}, {text: 'kube-multus-ds-abcde', style: 'dim'}], 36), false);
	});

	test('one-column glyphs count one: marks, box drawing, the ellipsis', () => {
		assert.equal(fitsOneRow([{text: '✔ ██▒░ … → ·'}], 12), true);
	});

	test('anything that may be two columns wide (CJK, emoji) takes the wrapping path, however short', () => {
		assert.equal(fitsOneRow([{text: '節点'}], 40), false);
		assert.equal(fitsOneRow([{text: 'ok 🚀'}], 40), false);
		assert.equal(fitsOneRow([{text: 'ok ✅'}], 40), false, 'U+2705 is an emoji, though next to the check marks');
	});
});

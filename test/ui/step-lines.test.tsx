/** @jsxRuntime automatic */
/** @jsxImportSource react */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {renderInk} from '../helpers/ink.js';
import {ThemeContext, themeFor} from '../../source/ui/theme.js';
import {fitsOneRow, StepLines} from '../../source/ui/components/step-lines.js';

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

describe('StepLines: text from outside is shown escaped in the Ink view (issue 12, item 3)', () => {
	test('OSC, cursor moves, BEL and bidi overrides never reach the terminal; our colours do', () => {
		const hostile = 'multus\u001B]2;pwned\u0007\u001B[2J\u202Eds';
		for (const width of [120, 30]) {
			const instance = renderInk(<ThemeContext value={themeFor(true)}><StepLines width={width} lines={[[{text: 'ClusterRole '}, {text: hostile, style: 'bold'}], [{text: `    ✖ ${hostile} in a long line that has to wrap at thirty columns`, style: 'bad'}]]} /></ThemeContext>);
			const frame = instance.frames.join('');
			instance.unmount();
			assert.doesNotMatch(frame.replace(/\u001B\[[\d;]*m/g, ''), /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E]/u, `width ${width}`);
			assert.match(frame, /\u001B\[1m/, 'bold is still ours to draw');
			assert.match(frame.replace(/\u001B\[[\d;]*m/g, '').replace(/\s+/g, ''), /multus\\x1b\]2;pwned\\x07\\x1b\[2J\\u202eds/);
		}
	});

	test('a line with a character to escape is not measured as fitting by its raw length', () => {
		assert.equal(fitsOneRow([{text: 'a\u202Eb'}], 4), false);
	});
});

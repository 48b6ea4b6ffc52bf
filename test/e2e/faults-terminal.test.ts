// The guided doctor in terminals that are not the comfortable default: 40 columns, NO_COLOR, and a window
// resized while the rollout is drawn. It must finish, fixed, and never crash or colour against the user's wish.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {applyScenario, deleteScenario, kubectlPath, snapshot, testEnv, waitFor, podsListWatch} from '../helpers/cluster.js';
import {sleep, slowRollout} from '../helpers/faults.js';
import {startTerminal} from '../helpers/tmux.js';


/** SGR sequences that set a colour (foreground or background, 16, 256 or true colour); not bold, dim or resets. */
function colourEscapes(screen: string): string[] {
	return [...screen.matchAll(/\u001B\[([\d;]*)m/g)].map(m => m[1]!).filter(params => params.split(';').some(p => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/.test(p)));
}

describe('the doctor in unusual terminals', () => {
	after(() => deleteScenario('broken-thick'));

	test('40 columns: the prompt, the rollout and the verdict fit, fixed (exit 0)', async t => {
		applyScenario('broken-thick');
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv, {columns: 40, rows: 50});
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		await terminal.answer('y');
		const code = await terminal.waitForExit();
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		assert.match(screen, /Fixed:/);
		// A stack trace's shapes, not the word: the real daemon's quoted lines carry logger="UnhandledError".
		assert.doesNotMatch(screen, /\b[A-Z]\w*Error: |^\s*at \S.*\.[cm]?js:\d+/m, 'no stack trace');
		// Joined, a line the terminal had to wrap shows up whole: the UI wraps its own lines to the width.
		for (const line of terminal.screen({joined: true}).split('\n')) assert.ok([...line.trimEnd()].length <= 40, `wider than the terminal: ${line}`);
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
	});

	test('NO_COLOR: no colour on the screen (with colour allowed, there is some)', async t => {
		applyScenario('broken-thick');
		// The same colour-capable terminal for both runs, whatever TERM the test itself runs under: only NO_COLOR differs.
		const colourful: NodeJS.ProcessEnv = {...testEnv, TERM: 'xterm-256color'};
		delete colourful['NO_COLOR'];
		const screens: Record<string, string> = {};
		for (const [name, env] of [['NO_COLOR', {...colourful, NO_COLOR: '1'}], ['colour', colourful]] as const) {
			const terminal = startTerminal([kubectlPath, 'multus', 'doctor', '--check'], env);
			t.after(() => terminal.kill());
			assert.equal(await terminal.waitForExit(), 1, terminal.screen());
			screens[name] = terminal.screen({escapes: true});
		}
		assert.match(screens['NO_COLOR']!, /Problem found \(--check: nothing changed\)/);
		assert.deepEqual(colourEscapes(screens['NO_COLOR']!), [], 'NO_COLOR=1 and yet colour');
		assert.ok(colourEscapes(screens['colour']!).length > 0, 'the check would see colour if there were any');
	});

	test('the window is resized during the rollout: redrawn, finishes fixed (exit 0)', async t => {
		applyScenario('broken-thick');
		await slowRollout('kube-system', 'kube-multus-ds', 3);
		const before = snapshot('multus', 'kube-system', 'kube-multus-ds');
		const terminal = startTerminal([kubectlPath, 'multus', 'doctor'], testEnv, {columns: 120, rows: 50});
		t.after(() => terminal.kill());
		await terminal.waitForScreen(/\[y\/N\]/);
		await terminal.answer('y');
		await waitFor('the restart', () => snapshot('multus', 'kube-system', 'kube-multus-ds').generation > before.generation);
		for (const [columns, rows] of [[50, 30], [160, 50], [72, 24]] as const) {
			terminal.resize(columns, rows);
			await sleep(700);
		}
		const code = await terminal.waitForExit();
		const screen = terminal.screen();
		assert.equal(code, 0, screen);
		assert.match(screen, /Fixed:/);
		// minReadySeconds put metadata.generation ahead of the pods' template generation: the new pods were still
		// recognised, and their logs read.
		assert.match(screen, /say\s+so\s+themselves:\s+every\s+informer\s+synced/);
		assert.deepEqual(snapshot('multus', 'kube-system', 'kube-multus-ds').rules, [...before.rules, podsListWatch]);
	});
});

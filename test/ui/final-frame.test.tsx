/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The last frame, when it is taller than the terminal (the doctor's summary, the fleet's table with its reasons):
// it is in the scrollback once, whole, and the shell's prompt comes on a line of its own after it. Drawn live, Ink
// drew it and then drew it again as it exited, erasing only the rows on screen: the top of the first copy stayed
// above the second, and the last line had no newline after it. Ink draws here at the pace of the real view.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {renderInTerminal, type TerminalRun} from './terminal.js';
import {doctorOptions} from '../helpers/doctor-fixtures.js';
import {brokenThick} from '../helpers/fake-multus.js';
import {fleetEnv} from '../helpers/fleet.js';
import {App} from '../../source/ui/app.js';
import {FleetApp} from '../../source/ui/fleet-app.js';
import {framesPerSecond} from '../../source/ui/hooks/use-exit.js';
import {runDoctorFlow} from '../../source/doctor/runner.js';
import {runFleet} from '../../source/fleet/fleet.js';
import type {DoctorOptions, FleetOptions} from '../../source/options.js';

/** Until the app called onExit, then until Ink has finished with the terminal. */
async function untilExited(exits: number[], run: TerminalRun): Promise<void> {
	for (let waited = 0; exits.length === 0 && waited < 10_000; waited += 20) await new Promise(resolve => setTimeout(resolve, 20));
	assert.equal(exits.length, 1, 'the app exits');
	await new Promise(resolve => setTimeout(resolve, 300));
	run.unmount();
}

/** How many lines of the scrollback and screen begin with `start`. */
const linesStartingWith = (run: TerminalRun, start: string) => run.screen.text().split('\n').filter(line => line.startsWith(start)).length;

/** The cursor is at the start of an empty line: what the shell prints next is not glued to the last line. */
function assertEndsWithNewline(run: TerminalRun): void {
	assert.equal(run.screen.column, 0, `the cursor is after the last line's text:\n${run.screen.lines.join('\n')}`);
	assert.equal(run.screen.lines[run.screen.row], '', 'the cursor is on a line of its own');
}

describe('a last frame taller than the terminal', () => {
	test('the doctor\'s summary at 80x8: each of its lines once, then a newline', async () => {
		const env = brokenThick().env({context: 'fake', server: 'https://fake.invalid'});
		const exits: number[] = [];
		const run = renderInTerminal(
			<App options={doctorOptions({color: false, yes: true})} flow={async (options, io) => runDoctorFlow(options, io, env)} onExit={code => exits.push(code)} />,
			{columns: 80, rows: 8},
			{maxFps: framesPerSecond},
		);
		await untilExited(exits, run);
		assert.deepEqual(exits, [0]);
		for (const start of ['kubectl multus doctor', '✔ Verify', 'Changed:', 'Undo: kubectl multus undo', '✔ Fixed:']) {
			assert.equal(linesStartingWith(run, start), 1, `${start} is in the scrollback ${linesStartingWith(run, start)} times:\n${run.screen.text()}`);
		}
		assertEndsWithNewline(run);
	});

	test('the fleet\'s 30 rows and reasons at 100x24: each line once, then a newline', async () => {
		const members: Record<string, ReturnType<typeof brokenThick>> = {};
		for (let index = 1; index <= 30; index++) members[`site-${String(index).padStart(2, '0')}`] = brokenThick();
		const options: DoctorOptions & {fleet: FleetOptions} = {
			...doctorOptions({color: false, timeoutMs: 2000, check: true}),
			fleet: {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: undefined},
		};
		const contexts = Object.keys(members).map(name => ({name, cluster: name, server: `https://${name}.invalid`, user: 'admin'}));
		const exits: number[] = [];
		const run = renderInTerminal(
			<FleetApp options={options} flow={async io => runFleet(options, contexts, io, fleetEnv(members))} onExit={code => exits.push(code)} />,
			{columns: 100, rows: 24},
			{maxFps: framesPerSecond},
		);
		await untilExited(exits, run);
		for (const start of ['kubectl multus doctor', 'CONTEXT ', 'site-01 ', 'site-30 ', '✖ 30 contexts:']) {
			assert.equal(linesStartingWith(run, start), 1, `${start} is in the scrollback ${linesStartingWith(run, start)} times:\n${run.screen.text()}`);
		}
		assertEndsWithNewline(run);
	});
});

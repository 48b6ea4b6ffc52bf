/** @jsxRuntime automatic */
/** @jsxImportSource react */
// Ctrl-Z in the terminal view: raw mode reads it as a key, so the view does what the terminal's Ctrl-Z would.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {App} from '../../source/ui/app.js';
import {questionArmMs} from '../../source/ui/keys.js';
import {doctorOptions, scriptedFlow} from '../helpers/doctor-fixtures.js';
import {renderInTerminal} from './terminal.js';

const ctrlZ = '\u001A';

async function pause(ms: number): Promise<void> {
	await new Promise(resolve => {
		setTimeout(resolve, ms);
	});
}

test('Ctrl-Z at the question: gives the terminal back (cooked mode, frame erased), stops, and on fg draws the question again and arms it again', async t => {
	const stops: Array<{signal: string | number | undefined; raw: boolean; questionShown: boolean}> = [];
	const {flow, record} = scriptedFlow();
	const run = renderInTerminal(<App options={doctorOptions({color: false})} flow={flow} />, {columns: 100, rows: 60});
	t.mock.method(process, 'kill', (_pid: number, signal?: string | number) => {
		stops.push({signal, raw: run.rawMode(), questionShown: run.screen.text().includes('[y/N]')});
		return true;
	});
	try {
		await run.waitFor('[y/N]');
		assert.equal(run.rawMode(), true);
		await run.answer(ctrlZ);
		for (let waited = 0; stops.length === 0 && waited < 2000; waited += 10) await pause(10);
		assert.deepEqual(stops, [{signal: 'SIGTSTP', raw: false, questionShown: false}], 'stopped in cooked mode, the live frame erased first');
		// fg: the shell continues the process.
		process.emit('SIGCONT', 'SIGCONT');
		await run.waitFor('[y/N]');
		for (let waited = 0; !run.rawMode() && waited < 2000; waited += 10) await pause(10);
		assert.equal(run.rawMode(), true, 'raw mode again');
		// Drawn again, the question is armed again: a key at once is dropped.
		await run.type('y');
		await pause(questionArmMs + 150);
		assert.deepEqual(record.answers, []);
		await run.answer('y');
		await run.waitFor('✔ Fixed:');
		assert.deepEqual(record.answers, [true]);
	} finally {
		run.unmount();
	}
});

test('Ctrl-Z where no job control can stop it: the run carries on after a moment, in raw mode, the question still asked', async t => {
	const {flow, record} = scriptedFlow();
	const run = renderInTerminal(<App options={doctorOptions({color: false})} flow={flow} />, {columns: 100, rows: 60});
	const signals: Array<string | number | undefined> = [];
	t.mock.method(process, 'kill', (_pid: number, signal?: string | number) => {
		signals.push(signal);
		return true;
	});
	try {
		await run.waitFor('[y/N]');
		await run.answer(ctrlZ);
		// No SIGCONT ever comes: the stop was discarded.
		await pause(1500);
		assert.deepEqual(signals, ['SIGTSTP']);
		assert.equal(run.rawMode(), true);
		await run.waitFor('[y/N]');
		await run.answer('n');
		await run.waitFor('Declined: nothing was changed.');
		assert.deepEqual(record.answers, [false]);
	} finally {
		run.unmount();
	}
});

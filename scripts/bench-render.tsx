/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The cost of one rollout frame in the terminal UI: renders the doctor screen at N nodes through Ink (a fake
// 120 × 50 TTY) and updates the rollout F times, as the runner would; prints CPU per frame.
//   NODE_ENV=production node --import tsx scripts/bench-render.tsx [--nodes 1000] [--frames 300] [--profile FILE]
//   NODE_ENV=production node --expose-gc --import tsx scripts/bench-render.tsx --frames 30 --gcs 3
// (--profile writes a V8 CPU profile of the frames alone, for chrome://inspect or any .cpuprofile viewer.
// Frames back to back run warm code; a real rollout draws one every few seconds with the watch's garbage
// collections in between: --gcs N runs N full collections between frames, their CPU not counted.)
import {writeFileSync} from 'node:fs';
import {Session} from 'node:inspector/promises';
import {Writable} from 'node:stream';
import {parseArgs} from 'node:util';
import {render} from 'ink';
import {ThemeProvider} from '@inkjs/ui';
import {doctorReducer, type DoctorState} from '../source/doctor/machine.js';
import {DoctorView} from '../source/ui/components/doctor-view.js';
import {advanceStepLog, emptyStepLog} from '../source/ui/layout.js';
import {ThemeContext, themeFor} from '../source/ui/theme.js';
import {largeRollout, stateAfter, untilConfirm, patchToRollout} from '../test/helpers/doctor-fixtures.js';

const {values} = parseArgs({options: {nodes: {type: 'string', default: '1000'}, frames: {type: 'string', default: '300'}, gcs: {type: 'string', default: '0'}, profile: {type: 'string'}}});
const nodes = Number(values.nodes);
const frames = Number(values.frames);
const gcs = Number(values.gcs);
const gc = (globalThis as {gc?: () => void}).gc;
if (gcs > 0 && !gc) throw new Error('--gcs needs node --expose-gc');

class FakeTty extends Writable {
	columns = 120;
	rows = 50;
	isTTY = true;
	bytes = 0;
	override _write(chunk: Buffer, _encoding: string, callback: () => void) {
		this.bytes += chunk.length;
		callback();
	}
}
const stdout = new FakeTty();
const theme = themeFor(true);
let state: DoctorState = stateAfter([...untilConfirm, ...patchToRollout]);
const log = advanceStepLog(emptyStepLog, state);
const view = (s: DoctorState) => (
	<ThemeContext value={theme}>
		<ThemeProvider theme={theme.inkUi}>
			<DoctorView state={s} log={log} size={{columns: 120, rows: 50, detailsRequested: false}} mode={{context: undefined, check: false, dryRun: 'none', restart: true, yes: false}} />
		</ThemeProvider>
	</ThemeContext>
);
const instance = render(view(state), {stdout: stdout as unknown as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false, maxFps: 1000});
await new Promise(resolve => setTimeout(resolve, 100));
const session = values.profile ? new Session() : undefined;
if (session) {
	session.connect();
	await session.post('Profiler.enable');
	await session.post('Profiler.start');
}
let gcMicros = 0;
const before = process.cpuUsage();
const started = performance.now();
for (let frame = 0; frame < frames; frame++) {
	state = doctorReducer(state, {type: 'rollout-progress', rollout: largeRollout(nodes, Math.floor((frame / frames) * (nodes - 10)))});
	instance.rerender(view(state));
	await new Promise(resolve => setTimeout(resolve, 2));
	if (gcs > 0) {
		const start = process.cpuUsage();
		for (let index = 0; index < gcs; index++) gc!();
		const spent = process.cpuUsage(start);
		gcMicros += spent.user + spent.system;
	}
}
const cpu = process.cpuUsage(before);
const cpuMs = (cpu.user + cpu.system - gcMicros) / 1000;
if (session) writeFileSync(values.profile!, JSON.stringify((await session.post('Profiler.stop')).profile));
console.log(`${nodes} nodes, ${frames} frames${gcs ? ` (${gcs} full GCs between frames)` : ''}: ${(cpuMs / frames).toFixed(2)} ms CPU a frame, ${(performance.now() - started).toFixed(0)} ms wall, ${(stdout.bytes / 1024).toFixed(0)} KiB written, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
instance.unmount();

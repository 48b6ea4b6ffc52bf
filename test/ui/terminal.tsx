/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The doctor's screen in a fake terminal of a given size, drawn by Ink as on a real one (interactive, not
// ink-testing-library's debug mode, which prints every frame whole): a small VT100 screen with its scrollback
// takes Ink's writes, and each frame's height is read as Ink itself counts it (the number its full-clear
// condition compares with the terminal's rows).
import {EventEmitter} from 'node:events';
import type {ReactElement} from 'react';
import {render, Text} from 'ink';
import {questionArmMs} from '../../source/ui/keys.js';

interface InkInternals {
	options: {stdout: object};
	renderFrame(output: string, outputHeight: number, staticOutput: string): void;
}

/** Each fake terminal's frames, filled in by Ink's own renderFrame as it draws them. */
const framesOf = new WeakMap<object, TerminalRun['frames']>();

/**
 * Ink's map from stdout to its instance (reached by path: the package exports only its entry). One throwaway
 * render gives Ink's class, whose renderFrame then records every frame of the fake terminals, the first included.
 */
const {default: inkInstances} = (await import(new URL('../../node_modules/ink/build/instances.js', import.meta.url).href)) as {default: WeakMap<object, InkInternals>};
{
	const probe = new EventEmitter() as EventEmitter & {write(): boolean; columns: number; rows: number};
	Object.assign(probe, {write: () => true, columns: 80, rows: 24});
	const instance = render(<Text>probe</Text>, {stdout: probe as unknown as NodeJS.WriteStream, debug: true, patchConsole: false});
	const prototype = Object.getPrototypeOf(inkInstances.get(probe)) as InkInternals;
	instance.unmount();
	const renderFrame = prototype.renderFrame;
	prototype.renderFrame = function (this: InkInternals, output, outputHeight, staticOutput) {
		const stdout = this.options.stdout as {rows?: number};
		framesOf.get(stdout)?.push({height: outputHeight, rows: stdout.rows ?? 0, output});
		renderFrame.call(this, output, outputHeight, staticOutput);
	};
}

/** A VT100 screen of `columns` x `rows` with a scrollback: enough of it for what Ink writes. */
export class Screen {
	readonly history: string[] = [];
	lines: string[];
	row = 0;
	column = 0;
	/** Full clears Ink made (cursor home, then erase down): each one re-prints a frame that overflowed. */
	clears = 0;

	constructor(
		public columns: number,
		public rows: number,
	) {
		this.lines = Array.from({length: rows}, () => '');
	}

	resize(columns: number, rows: number): void {
		// As xterm and tmux do: a shorter screen pushes its top rows (above the cursor) into the scrollback.
		while (this.lines.length > rows && this.row > 0) {
			this.history.push(this.lines.shift()!);
			this.row--;
		}
		this.lines = this.lines.slice(0, rows);
		while (this.lines.length < rows) this.lines.push('');
		this.columns = columns;
		this.rows = rows;
	}

	private put(text: string): void {
		const line = this.lines[this.row]!.padEnd(this.column);
		this.lines[this.row] = line.slice(0, this.column) + text + line.slice(this.column + text.length);
		this.column += text.length;
	}

	private lineFeed(): void {
		this.column = 0;
		if (this.row === this.rows - 1) {
			this.history.push(this.lines.shift()!);
			this.lines.push('');
		} else {
			this.row++;
		}
	}

	write(data: string): void {
		const csi = /^\u001B\[([?\d;]*)([A-Za-z])/;
		let index = 0;
		while (index < data.length) {
			const rest = data.slice(index);
			if (rest.startsWith('\u001B')) {
				const match = csi.exec(rest);
				if (!match) {
					index += 2;
					continue;
				}
				this.control(match[1]!, match[2]!);
				index += match[0].length;
				continue;
			}
			const character = String.fromCodePoint(rest.codePointAt(0)!);
			index += character.length;
			if (character === '\n') this.lineFeed();
			else if (character === '\r') this.column = 0;
			else this.put(character);
		}
	}

	private control(parameters: string, command: string): void {
		if (parameters.startsWith('?') || command === 'm') return;
		const [first, second] = parameters.split(';').map(value => (value === '' ? undefined : Number(value)));
		const count = first ?? 1;
		switch (command) {
			case 'A':
				this.row = Math.max(0, this.row - count);
				break;
			case 'B':
				this.row = Math.min(this.rows - 1, this.row + count);
				break;
			case 'E':
				this.row = Math.min(this.rows - 1, this.row + count);
				this.column = 0;
				break;
			case 'G':
				this.column = count - 1;
				break;
			case 'H':
				this.row = (first ?? 1) - 1;
				this.column = (second ?? 1) - 1;
				if (this.row === 0 && this.column === 0) this.clears++;
				break;
			case 'K':
				this.lines[this.row] = first === 2 ? '' : this.lines[this.row]!.slice(0, this.column);
				break;
			case 'J':
				this.lines[this.row] = this.lines[this.row]!.slice(0, this.column);
				for (let row = this.row + 1; row < this.rows; row++) this.lines[row] = '';
				break;
			default:
				break;
		}
	}

	/** The scrollback and the screen, as `tmux capture-pane -p -S -` prints them. */
	text(): string {
		return [...this.history, ...this.lines].map(line => line.trimEnd()).join('\n').replace(/\n+$/, '');
	}
}

class FakeStdout extends EventEmitter {
	readonly isTTY = true;
	constructor(
		public columns: number,
		public rows: number,
		private readonly screen: Screen,
	) {
		super();
	}

	// As a stream's write: the callback once written (Ink waits on it to know a frame is out, as after a Ctrl-Z).
	write = (data: string | Uint8Array, encodingOrDone?: BufferEncoding | (() => void), done?: () => void): boolean => {
		this.screen.write(typeof data === 'string' ? data : Buffer.from(data).toString());
		const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
		if (callback) queueMicrotask(callback);
		return true;
	};
}

class FakeStdin extends EventEmitter {
	readonly isTTY = true;
	private data: string | null = null;
	/** As the terminal's line discipline is set: raw (keys as typed, no Ctrl-Z of its own) or cooked. */
	isRaw = false;
	setEncoding(): void {}
	setRawMode(raw: boolean): void {
		this.isRaw = raw;
	}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
	read = (): string | null => {
		const {data} = this;
		this.data = null;
		return data;
	};

	type(data: string): void {
		this.data = data;
		this.emit('readable');
		this.emit('data', data);
	}
}

export interface TerminalRun {
	readonly screen: Screen;
	/** Each live frame's height, as Ink counted it, with the terminal's rows at that frame. */
	readonly frames: Array<{height: number; rows: number; output: string}>;
	type(...keys: string[]): Promise<void>;
	/** Whether the program has the terminal in raw mode now. */
	rawMode(): boolean;
	/** Answers the question on screen as a person would: once it has been there a moment (keys before are dropped). */
	answer(...keys: string[]): Promise<void>;
	resize(columns: number, rows: number): void;
	/** Resolves once the scrollback and screen contain `text` (or satisfy it). */
	waitFor(expected: string | ((text: string) => boolean), timeoutMs?: number): Promise<string>;
	unmount(): void;
}

async function tick(): Promise<void> {
	await new Promise(resolve => {
		setImmediate(resolve);
	});
	await new Promise(resolve => {
		setTimeout(resolve, 0);
	});
}

/** Renders `tree` in a fake terminal of `columns` x `rows`, the way a user's terminal would show it (Ink drawing at most `maxFps` frames a second). */
export function renderInTerminal(tree: ReactElement, size: {columns: number; rows: number}, {maxFps = 1000}: {maxFps?: number} = {}): TerminalRun {
	const screen = new Screen(size.columns, size.rows);
	const stdout = new FakeStdout(size.columns, size.rows, screen);
	const stdin = new FakeStdin();
	const stderr = new FakeStdout(size.columns, size.rows, new Screen(size.columns, size.rows));
	const frames: TerminalRun['frames'] = [];
	framesOf.set(stdout, frames);
	const instance = render(tree, {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		stderr: stderr as unknown as NodeJS.WriteStream,
		debug: false,
		interactive: true,
		exitOnCtrlC: false,
		patchConsole: false,
		maxFps,
	});
	return {
		screen,
		frames,
		async type(...keys) {
			await tick();
			for (const key of keys) {
				stdin.type(key);
				// eslint-disable-next-line no-await-in-loop
				await tick();
			}
		},
		rawMode: () => stdin.isRaw,
		async answer(...keys) {
			await new Promise(resolve => {
				setTimeout(resolve, questionArmMs + 50);
			});
			await this.type(...keys);
		},
		resize(columns, rows) {
			screen.resize(columns, rows);
			stdout.columns = columns;
			stdout.rows = rows;
			stdout.emit('resize');
		},
		async waitFor(expected, timeoutMs = 3000) {
			const matches = typeof expected === 'string' ? (text: string) => text.includes(expected) : expected;
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const text = screen.text();
				if (matches(text)) return text;
				if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof expected === 'string' ? JSON.stringify(expected) : 'the screen'}; it shows:\n${text}`);
				// eslint-disable-next-line no-await-in-loop
				await tick();
			}
		},
		unmount() {
			instance.unmount();
			instance.cleanup();
		},
	};
}

import './force-color.js';
import {render as renderInk} from 'ink-testing-library';
import {questionArmMs} from '../../source/ui/keys.js';

// Shopify cli-kit style helpers for ink-testing-library: wait for what the user would see, never for a fixed time.

export type InkInstance = ReturnType<typeof renderInk>;
export {renderInk};

export const keys = {
	enter: '\r',
	escape: '\u001B',
	ctrlC: '\u0003',
} as const;

const ansiPattern = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
	return text.replace(ansiPattern, '');
}

export function hasAnsi(text: string): boolean {
	return text.includes('\u001B');
}

/**
 * The last frame drawn, without colours. At unmount Ink (8, debug mode) writes a bare newline after the last
 * frame; that is not a frame the user sees. Nor is the newline that ends a last frame printed whole (<Static>).
 */
export function frameOf(instance: InkInstance): string {
	return stripAnsi(instance.frames.findLast(frame => frame.trim() !== '') ?? '').replace(/\n$/, '');
}

/** Lets React flush and Ink write: one turn through setImmediate, then one through a timer. */
async function tick(): Promise<void> {
	await new Promise(resolve => {
		setImmediate(resolve);
	});
	await new Promise(resolve => {
		setTimeout(resolve, 0);
	});
}

/**
 * Resolves with the last frame (colours stripped) as soon as it contains `expected` or satisfies it; rejects
 * after `timeoutMs` with the frame it last saw.
 */
export async function waitForFrame(instance: InkInstance, expected: string | ((frame: string) => boolean), timeoutMs = 3000): Promise<string> {
	const matches = typeof expected === 'string' ? (frame: string) => frame.includes(expected) : expected;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const frame = frameOf(instance);
		if (matches(frame)) return frame;
		if (Date.now() > deadline) {
			throw new Error(`timed out after ${timeoutMs}ms waiting for ${typeof expected === 'string' ? JSON.stringify(expected) : 'the frame'}; last frame:\n${frame}`);
		}

		// eslint-disable-next-line no-await-in-loop
		await tick();
	}
}

/** Resolves once `condition()` holds (for what is not on screen: a promise settled, a signal aborted). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
		// eslint-disable-next-line no-await-in-loop
		await tick();
	}
}

/**
 * Types keys one at a time, yielding after each so that the input handlers re-subscribe with fresh state
 * before the next key (the React 19 race cli-kit works around the same way).
 */
export async function sendKeys(instance: InkInstance, ...input: string[]): Promise<void> {
	await tick();
	for (const key of input) {
		instance.stdin.write(key);
		// eslint-disable-next-line no-await-in-loop
		await tick();
	}
}

/**
 * Answers the question on screen as a user would: once it has been there a moment. A question drops every key
 * before questionArmMs after it is drawn (ui/hooks/use-question.ts), so here, and only here, a test waits a time.
 */
export async function sendAnswer(instance: InkInstance, ...input: string[]): Promise<void> {
	await new Promise(resolve => {
		setTimeout(resolve, questionArmMs + 50);
	});
	await sendKeys(instance, ...input);
}

/** Resizes the fake terminal, as a window resize would (ink-testing-library's stdout is 100 columns). */
export function resize(instance: InkInstance, columns: number, rows = 50): void {
	Object.defineProperty(instance.stdout, 'columns', {configurable: true, get: () => columns});
	Object.defineProperty(instance.stdout, 'rows', {configurable: true, get: () => rows});
	instance.stdout.emit('resize');
}

/** Lines wider than `columns` (in code points: every glyph the doctor draws is one column wide). */
export function linesWiderThan(frame: string, columns: number): string[] {
	return frame.split('\n').filter(line => [...line].length > columns);
}

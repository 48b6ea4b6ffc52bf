import type {Key} from 'ink';

// Every key the doctor answers to, in one map; components and hooks ask this module, never compare keys themselves.

export type Command = 'interrupt' | 'suspend' | 'confirm-yes' | 'confirm-no' | 'toggle-details';

/** Where the user is: what the keys mean depends on it. */
export type KeyContext = 'running' | 'confirm';

interface Binding {
	/** The typed character, exactly (case matters: y and Y are listed apart). */
	input?: string;
	ctrl?: boolean;
	/** A named key Ink reports as a flag. */
	special?: 'return' | 'escape';
}

export const keyBindings: Record<Command, Binding[]> = {
	interrupt: [{input: 'c', ctrl: true}],
	// Raw mode turns the terminal's own Ctrl-Z off: the key does what it would (ui/hooks/use-suspend.ts).
	suspend: [{input: 'z', ctrl: true}],
	'confirm-yes': [{input: 'y'}, {input: 'Y'}],
	// Ctrl-D, end of input: the default answer, as at the end of a line question.
	'confirm-no': [{input: 'n'}, {input: 'N'}, {special: 'return'}, {special: 'escape'}, {input: 'd', ctrl: true}],
	'toggle-details': [{input: 'd'}],
};

const commandsIn: Record<KeyContext, Command[]> = {
	running: ['interrupt', 'suspend'],
	confirm: ['interrupt', 'suspend', 'confirm-yes', 'confirm-no', 'toggle-details'],
};

/**
 * How long a question is on screen before it takes an answer: more than Ink's 100 ms between two draws (maxFps 10),
 * so that the frame with the question has been written. Keys before it are dropped (ui/hooks/use-question.ts).
 */
export const questionArmMs = 250;

/** Within this time a second Ctrl-C quits at once instead of waiting for the cancelled step. */
export const interruptWindowMs = 2000;

function matches(binding: Binding, input: string, key: Key): boolean {
	if (binding.special) return key[binding.special];
	return input === binding.input && Boolean(binding.ctrl) === key.ctrl && !key.meta;
}

/** Letters of yes and no, spaces and line ends: what a typed answer can be made of. */
const answerChunk = /^[yesno \r\n]+$/i;

/**
 * A chunk of several characters read at once (a fast y then Enter, "yes", a key repeat, a paste, over ssh), as
 * the answer its first character gives: y yes; n, CR or LF no (the default), once. Anything else in it, no answer.
 * Meant as the line question of undo reads /^y(es)?$/i: yes starts with y, all else declines.
 */
function answerIn(input: string): Command | undefined {
	if (input.length < 2 || !answerChunk.test(input)) return undefined;
	const first = input[0]!.toLowerCase();
	if (first === 'y') return 'confirm-yes';
	if (first === 'n' || first === '\r' || first === '\n') return 'confirm-no';
	return undefined;
}

/** The command a key press (or a chunk typed at once) means in `context`, if any. */
export function commandFor(input: string, key: Key, context: KeyContext): Command | undefined {
	const command = commandsIn[context].find(command => keyBindings[command].some(binding => matches(binding, input, key)));
	if (command !== undefined || context !== 'confirm' || key.ctrl || key.meta) return command;
	return answerIn(input);
}

/** The one-line key help shown under the steps. */
export const keyHints: Record<KeyContext, string> = {
	running: 'Ctrl-C cancel',
	confirm: 'y apply · n, Enter or Esc decline · d show or hide the JSON patch · Ctrl-C cancel',
};

/**
 * The question's key help. With the plan printed above it (a short terminal), d prints the JSON patch and the
 * YAML there, once, instead of toggling them beside the question; once printed the key has nothing left to do.
 */
export function confirmKeyHint(layout: {planAbove: boolean; patchAbove: boolean}): string {
	if (!layout.planAbove) return keyHints.confirm;
	if (layout.patchAbove) return 'y apply · n, Enter or Esc decline · Ctrl-C cancel (the JSON patch is printed above)';
	return 'y apply · n, Enter or Esc decline · d print the JSON patch above · Ctrl-C cancel';
}

/** The fleet's key help: its one question covers every listed cluster. */
export const fleetKeyHints = {
	running: 'Ctrl-C cancel every cluster',
	confirm: 'y apply to every cluster listed · n, Enter or Esc decline · Ctrl-C cancel',
} as const;

import type {Line, Style} from '../doctor/present.js';

// Plain-terminal rendering of presentation lines: ANSI colours, or none for NO_COLOR and pipes.
const codes: Record<Style, [number, number] | undefined> = {
	ok: [32, 39],
	bad: [31, 39],
	warn: [33, 39],
	dim: [2, 22],
	add: [32, 39],
	bold: [1, 22],
	accent: [36, 39],
	plain: undefined,
};

export function renderLine(line: Line, color: boolean): string {
	return line
		.map(segment => {
			const code = color && segment.style ? codes[segment.style] : undefined;
			return code ? `\u001B[${code[0]}m${segment.text}\u001B[${code[1]}m` : segment.text;
		})
		.join('');
}

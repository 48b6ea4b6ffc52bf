import {createContext, useContext} from 'react';
import {defaultTheme, extendTheme, type Theme as InkUiTheme} from '@inkjs/ui';
import type {Style} from '../doctor/present.js';
import type {StepStatus} from '../doctor/model.js';

/** The subset of Ink's <Text> props a theme sets. */
export interface TextStyle {
	color?: string;
	dimColor?: boolean;
	bold?: boolean;
}

/** Semantic styles, so components never name a colour. */
export interface Theme {
	/** The presentation styles of present.ts. */
	text: Record<Style, TextStyle>;
	/** A step's status mark. */
	status: Record<StepStatus, TextStyle>;
	/** A rule the plan adds: stands out from the rows around it. */
	missing: TextStyle;
	heading: TextStyle;
	/** The confirm step's mark while it waits for the user (no spinner: nothing is working). */
	waiting: TextStyle;
	/** The theme for @inkjs/ui components (the spinner). */
	inkUi: InkUiTheme;
}

export const colorTheme: Theme = {
	text: {
		ok: {color: 'green'},
		bad: {color: 'red'},
		warn: {color: 'yellow'},
		dim: {dimColor: true},
		add: {color: 'green'},
		bold: {bold: true},
		accent: {color: 'cyan'},
		plain: {},
	},
	status: {
		pending: {dimColor: true},
		running: {color: 'cyan'},
		done: {color: 'green'},
		skipped: {dimColor: true},
		failed: {color: 'red'},
	},
	missing: {bold: true},
	heading: {bold: true},
	waiting: {color: 'cyan', bold: true},
	inkUi: extendTheme(defaultTheme, {components: {Spinner: {styles: {frame: () => ({color: 'cyan'})}}}}),
};

const none = {};

/** NO_COLOR (and pipes): no colour and no other escape either; meaning is carried by marks and words. */
export const noColorTheme: Theme = {
	text: {ok: none, bad: none, warn: none, dim: none, add: none, bold: none, accent: none, plain: none},
	status: {pending: none, running: none, done: none, skipped: none, failed: none},
	missing: none,
	heading: none,
	waiting: none,
	inkUi: extendTheme(defaultTheme, {components: {Spinner: {styles: {frame: () => ({})}}}}),
};

export function themeFor(color: boolean): Theme {
	return color ? colorTheme : noColorTheme;
}

export const ThemeContext = createContext<Theme>(colorTheme);

export function useTheme(): Theme {
	return useContext(ThemeContext);
}

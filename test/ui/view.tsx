/** @jsxRuntime automatic */
/** @jsxImportSource react */
// tsx applies tsconfig.json (react-jsx) to source/ only; test files ask for the same JSX runtime here.
import {renderInk, type InkInstance} from '../helpers/ink.js';
import type {DoctorState} from '../../source/doctor/machine.js';
import {DoctorView, type ViewMode} from '../../source/ui/components/doctor-view.js';
import {arrangeLog, emptyStepLog} from '../../source/ui/layout.js';
import {ThemeContext, themeFor} from '../../source/ui/theme.js';
import {ThemeProvider} from '@inkjs/ui';

export const defaultMode: ViewMode = {context: undefined, check: false, dryRun: 'none', restart: true, yes: false};

export interface ViewOptions {
	columns?: number;
	rows?: number;
	color?: boolean;
	mode?: Partial<ViewMode>;
	detailsRequested?: boolean;
}

/** Renders the doctor screen for one state, the way the app would after reaching it. */
export function renderView(state: DoctorState, options: ViewOptions = {}): InkInstance {
	const theme = themeFor(options.color ?? true);
	const columns = options.columns ?? 100;
	const size = {columns, rows: options.rows ?? 50, detailsRequested: options.detailsRequested ?? false};
	const mode = {...defaultMode, ...options.mode};
	return renderInk(
		<ThemeContext value={theme}>
			<ThemeProvider theme={theme.inkUi}>
				<DoctorView
					state={state}
					log={arrangeLog(emptyStepLog, state, mode, size)}
					size={size}
					mode={mode}
				/>
			</ThemeProvider>
		</ThemeContext>,
	);
}

import {useState} from 'react';
import {useApp, useWindowSize} from 'ink';
import {ThemeProvider} from '@inkjs/ui';
import type {DoctorOptions} from '../options.js';
import type {SignalSource} from '../signals.js';
import {DoctorView} from './components/doctor-view.js';
import {useDoctorKeys} from './hooks/use-doctor-keys.js';
import {useDoctor, type DoctorFlow} from './hooks/use-doctor.js';
import {useStepLog} from './hooks/use-step-log.js';
import {useSuspend} from './hooks/use-suspend.js';
import {ThemeContext, themeFor} from './theme.js';

export interface AppProps {
	readonly options: DoctorOptions;
	/** The flow to drive: the runner on a cluster (ui/run.tsx), or a script in tests. */
	readonly flow: DoctorFlow;
	/** Called with the exit code once the outcome (or a quit) is on screen, just before the app exits. */
	readonly onExit?: (code: number) => void;
	/** Where SIGINT, SIGTERM and SIGHUP come from (the process, in ui/run.tsx): each stops the run as Ctrl-C does. */
	readonly signals?: SignalSource;
}

/** The interactive doctor: the flow's state in, the screen out; keys go through the key map to the flow. */
export function App({options, flow, onExit, signals}: AppProps) {
	const {exit} = useApp();
	const {columns, rows} = useWindowSize();
	const [detailsRequested, setDetailsRequested] = useState(false);
	const {suspend, suspended} = useSuspend();
	const doctor = useDoctor({
		options,
		flow,
		suspended,
		signals,
		onExit(code) {
			onExit?.(code);
			exit(code);
		},
	});
	useDoctorKeys({...doctor, suspend, toggleDetails: () => setDetailsRequested(shown => !shown)});
	const mode = {context: options.connection.context, check: options.check, dryRun: options.dryRun, restart: options.restart, yes: options.yes};
	const size = {columns, rows, detailsRequested};
	const log = useStepLog(doctor.state, mode, size, {quit: doctor.quit});
	const theme = themeFor(options.color);
	return (
		<ThemeContext value={theme}>
			<ThemeProvider theme={theme.inkUi}>
				<DoctorView
					state={doctor.state}
					log={log}
					size={size}
					mode={mode}
					quitArmed={doctor.quitArmed}
					quit={doctor.quit}
				/>
			</ThemeProvider>
		</ThemeContext>
	);
}

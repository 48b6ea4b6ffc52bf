import {useApp, useInput, useStdin, useWindowSize} from 'ink';
import {ThemeProvider} from '@inkjs/ui';
import type {DoctorOptions, FleetOptions} from '../options.js';
import type {SignalSource} from '../signals.js';
import {FleetView} from './components/fleet-view.js';
import {useFleet, type FleetFlow} from './hooks/use-fleet.js';
import {useSuspend} from './hooks/use-suspend.js';
import {commandFor} from './keys.js';
import {ThemeContext, themeFor} from './theme.js';

export interface FleetAppProps {
	readonly options: DoctorOptions & {fleet: FleetOptions};
	readonly flow: FleetFlow;
	readonly onExit?: (code: number) => void;
	/** Where SIGINT, SIGTERM and SIGHUP come from (the process, in ui/run-fleet.tsx): each stops the run as Ctrl-C does. */
	readonly signals?: SignalSource;
}

/** The fleet in a terminal: its state in, the table out; keys go through the key map to the fleet. */
export function FleetApp({options, flow, onExit, signals}: FleetAppProps) {
	const {exit} = useApp();
	const {columns, rows} = useWindowSize();
	const {isRawModeSupported} = useStdin();
	const {suspend, suspended} = useSuspend();
	const fleet = useFleet({
		flow,
		suspended,
		signals,
		onExit(code) {
			onExit?.(code);
			exit(code);
		},
	});
	useInput(
		(input, key) => {
			switch (commandFor(input, key, fleet.state.question ? 'confirm' : 'running')) {
				case 'interrupt':
					fleet.interrupt();
					break;
				case 'suspend':
					suspend();
					break;
				case 'confirm-yes':
					fleet.answer(true);
					break;
				case 'confirm-no':
					fleet.answer(false);
					break;
				default:
					break;
			}
		},
		{isActive: isRawModeSupported && fleet.state.exitCode === undefined},
	);
	const theme = themeFor(options.color);
	return (
		<ThemeContext value={theme}>
			<ThemeProvider theme={theme.inkUi}>
				<FleetView
					state={fleet.state}
					now={fleet.now}
					columns={columns}
					rows={rows}
					mode={{check: options.check, dryRun: options.dryRun, restart: options.restart, parallel: options.fleet.parallel}}
					quitArmed={fleet.quitArmed}
					quit={fleet.quit}
				/>
			</ThemeProvider>
		</ThemeContext>
	);
}

import {useEffect, useState} from 'react';

/** Re-renders every `intervalMs` while `active`: for elapsed times that change without events. */
export function useTick(intervalMs: number, active: boolean): void {
	const [, setTick] = useState(0);
	useEffect(() => {
		if (!active) return;
		const timer = setInterval(() => setTick(tick => tick + 1), intervalMs);
		return () => clearInterval(timer);
	}, [intervalMs, active]);
}

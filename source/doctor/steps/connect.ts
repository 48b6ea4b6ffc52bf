import {done, type Step} from './step.js';

/** Connect: the client for the connection flags, and the server's version (which proves it is Kubernetes). */
export const connectStep: Step = {
	id: 'connect',
	async run({env, options, facts, emit}) {
		const {client, info} = env.connect(options.connection);
		facts.client = client;
		const serverVersion = await client.serverVersion();
		facts.connection = {...info, serverVersion};
		emit({type: 'connected', connection: facts.connection});
		return done;
	},
};

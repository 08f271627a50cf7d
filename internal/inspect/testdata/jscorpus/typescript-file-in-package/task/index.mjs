import { greet } from './lib/greet.ts';

export const handler = async () => ({ statusCode: 200, body: greet('x') });

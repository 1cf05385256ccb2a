import pino from 'pino';
/** Tests keep logs out of the runner's output unless LOG_LEVEL asks for them. */
export const quietLog = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

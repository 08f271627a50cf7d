export const greeting = 'hello ';

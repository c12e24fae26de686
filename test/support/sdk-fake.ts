// A stand-in for an AWS SDK client in unit tests: an instance of the client's class (the SDK's paginators accept
// nothing else) whose `send` is the test's own.
export function sdkFake<T extends object>(
  // biome-ignore lint/suspicious/noExplicitAny: any SDK client class
  Client: abstract new (...args: any[]) => T,
  send: (command: never) => Promise<unknown>,
): T {
  return Object.assign(Object.create(Client.prototype) as T, { send });
}

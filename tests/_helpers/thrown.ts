// What a call throws or a promise rejects with, for tests that check the error's class, status
// or message. Both fail the test when nothing is thrown, so an expectation on the result can
// never pass by accident.

/** The error `action` throws; throws itself when `action` returns normally. */
export function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected an error, none was thrown");
}

/** The reason `action`'s promise rejects with; throws itself when it resolves. */
export async function rejected(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected a rejection, none came");
}

// The notes backend's Candid interface (examples/notes/backend/notes.mo; moc writes the same as
// build/notes.did) as agent-js's IDL factory.
export const idlFactory = ({ IDL }) => {
  const Note = IDL.Record({ id: IDL.Nat, text: IDL.Text, created: IDL.Int, updated: IDL.Int });
  const Limits = IDL.Record({ max_note_chars: IDL.Nat, max_notes: IDL.Nat, max_users: IDL.Nat });
  return IDL.Service({
    add: IDL.Func([IDL.Text], [IDL.Nat], []),
    list: IDL.Func([], [IDL.Vec(Note)], ["query"]),
    update: IDL.Func([IDL.Nat, IDL.Text], [], []),
    remove: IDL.Func([IDL.Nat], [], []),
    whoami: IDL.Func([], [IDL.Principal], ["query"]),
    limits: IDL.Func([], [Limits], ["query"]),
  });
};

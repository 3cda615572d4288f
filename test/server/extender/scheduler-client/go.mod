// A stand-in for kube-scheduler's extender client, for the drain test (test/server/extender/drain.test.ts).
// Standard library only, so it builds offline in about a second.
module berth.local/scheduler-client

go 1.22

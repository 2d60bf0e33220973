// Command stacksapi-check drives Buildkite's own Go client of the stacks API
// (github.com/buildkite/stacksapi) against a stand-in and checks every answer:
// register, list (two pages), reserve, get, get-states, finish (twice), notify,
// rate limits (without and with the client's retrier), a wrong token, deregister.
//
// The caller enqueues the jobs first, all on -queue, in the order given by -jobs,
// with -command as every job's command. Exit 0 and "N checks passed" when all hold;
// exit 1 with the first failed check otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/buildkite/stacksapi"
)

// countingTransport counts requests per "METHOD path", to tell retries from single calls.
type countingTransport struct {
	mu     sync.Mutex
	counts map[string]int
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.counts[req.Method+" "+req.URL.Path]++
	t.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (t *countingTransport) count(method, path string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[method+" "+path]
}

type checker struct{ passed int }

func (c *checker) that(ok bool, format string, args ...any) {
	if !ok {
		fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
	c.passed++
}

func (c *checker) noErr(err error, what string) {
	c.that(err == nil, "%s: unexpected error: %v", what, err)
}

// status is the HTTP status of a stacksapi error, or 0.
func status(err error) int {
	var resp *stacksapi.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil {
		return resp.Response.StatusCode
	}
	return 0
}

func main() {
	endpoint := flag.String("endpoint", "", "stacks API base URL, e.g. http://127.0.0.1:8080/v3")
	token := flag.String("token", "", "cluster agent token")
	queue := flag.String("queue", "kubernetes", "queue the jobs were enqueued on")
	jobList := flag.String("jobs", "", "comma-separated job UUIDs, in enqueue order (3 or more)")
	command := flag.String("command", "", "the jobs' command")
	flag.Parse()
	jobs := strings.Split(*jobList, ",")
	if *endpoint == "" || *token == "" || len(jobs) < 3 {
		fmt.Fprintln(os.Stderr, "usage: stacksapi-check -endpoint URL -token TOKEN -jobs A,B,C [-queue Q] [-command CMD]")
		os.Exit(2)
	}
	base, err := url.Parse(*endpoint)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad -endpoint: %v\n", err)
		os.Exit(2)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	transport := &countingTransport{counts: map[string]int{}}
	httpClient := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	client, err := stacksapi.NewClient(*token, stacksapi.WithBaseURL(base), stacksapi.WithHTTPClient(httpClient), stacksapi.PrependToUserAgent("agentify-check/0"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "NewClient: %v\n", err)
		os.Exit(1)
	}
	c := &checker{}
	const key = "stacksapi-go-check"
	path := func(p string) string { return strings.TrimRight(base.Path, "/") + p }

	// Register: the stack comes back connected, on our queue, with our metadata.
	stack, _, err := client.RegisterStack(ctx, stacksapi.RegisterStackRequest{
		Key: key, Type: stacksapi.StackTypeCustom, QueueKey: *queue, Metadata: map[string]string{"checker": "go"},
	})
	c.noErr(err, "RegisterStack")
	c.that(stack.Key == key && stack.ClusterQueueKey == *queue, "RegisterStack: key %q queue %q", stack.Key, stack.ClusterQueueKey)
	c.that(stack.Type == stacksapi.StackTypeCustom && stack.State == stacksapi.StackStateConnected, "RegisterStack: type %q state %q", stack.Type, stack.State)
	c.that(reflect.DeepEqual(stack.Metadata, map[string]string{"checker": "go"}), "RegisterStack: metadata %v", stack.Metadata)
	c.that(stack.ID != "" && stack.OrganizationUUID != "", "RegisterStack: id %q organization %q", stack.ID, stack.OrganizationUUID)

	// List in pages of 2: every job once, in enqueue order, the last page saying so.
	var listed []string
	cursor := ""
	for page := 0; ; page++ {
		c.that(page < 10, "ListScheduledJobs: more than 10 pages")
		resp, _, err := client.ListScheduledJobs(ctx, stacksapi.ListScheduledJobsRequest{StackKey: key, ClusterQueueKey: *queue, PageSize: 2, StartCursor: cursor})
		c.noErr(err, "ListScheduledJobs")
		c.that(len(resp.Jobs) <= 2, "ListScheduledJobs: page of %d jobs for limit 2", len(resp.Jobs))
		c.that(resp.ClusterQueue.ID != "" && !resp.ClusterQueue.Paused, "ListScheduledJobs: cluster_queue %+v", resp.ClusterQueue)
		for _, job := range resp.Jobs {
			listed = append(listed, job.ID)
			c.that(!job.ScheduledAt.IsZero() && job.ScheduledAt.Before(time.Now().Add(time.Minute)), "job %s: scheduled_at %v", job.ID, job.ScheduledAt)
			c.that(slices.Contains(job.AgentQueryRules, "queue="+*queue), "job %s: agent_query_rules %v", job.ID, job.AgentQueryRules)
			c.that(job.Pipeline.Slug != "" && job.Pipeline.UUID != "" && job.Build.UUID != "" && job.Build.Number > 0, "job %s: pipeline %+v build %+v", job.ID, job.Pipeline, job.Build)
		}
		if !resp.PageInfo.HasNextPage {
			break
		}
		c.that(resp.PageInfo.EndCursor != "", "ListScheduledJobs: has_next_page without end_cursor")
		cursor = resp.PageInfo.EndCursor
	}
	c.that(reflect.DeepEqual(listed, jobs), "ListScheduledJobs: listed %v, want %v", listed, jobs)

	// Reserve two and an unknown one.
	unknown := "00000000-0000-4000-8000-000000000000"
	reserved, _, err := client.BatchReserveJobs(ctx, stacksapi.BatchReserveJobsRequest{StackKey: key, JobUUIDs: []string{jobs[0], jobs[1], unknown}, ReservationExpirySeconds: 300})
	c.noErr(err, "BatchReserveJobs")
	c.that(reflect.DeepEqual(reserved.Reserved, []string{jobs[0], jobs[1]}), "BatchReserveJobs: reserved %v", reserved.Reserved)
	c.that(reflect.DeepEqual(reserved.NotReserved, []string{unknown}), "BatchReserveJobs: not_reserved %v", reserved.NotReserved)

	// Get one: its command and env.
	job, _, err := client.GetJob(ctx, stacksapi.GetJobRequest{StackKey: key, JobUUID: jobs[0]})
	c.noErr(err, "GetJob")
	c.that(job.ID == jobs[0] && job.Command == *command, "GetJob: id %q command %q", job.ID, job.Command)
	c.that(job.Env["BUILDKITE_JOB_ID"] == jobs[0] && job.Env["BUILDKITE_COMMAND"] == *command, "GetJob: env BUILDKITE_JOB_ID %q BUILDKITE_COMMAND %q", job.Env["BUILDKITE_JOB_ID"], job.Env["BUILDKITE_COMMAND"])
	_, _, err = client.GetJob(ctx, stacksapi.GetJobRequest{StackKey: key, JobUUID: unknown})
	c.that(status(err) == 404, "GetJob unknown: want 404, got %v", err)

	states := func() map[string]string {
		resp, _, err := client.GetJobStates(ctx, stacksapi.GetJobStatesRequest{StackKey: key, JobUUIDs: append(slices.Clone(jobs[:3]), unknown)})
		c.noErr(err, "GetJobStates")
		return resp.States
	}
	want := map[string]string{jobs[0]: "reserved", jobs[1]: "reserved", jobs[2]: "scheduled"}
	c.that(reflect.DeepEqual(states(), want), "GetJobStates: %v, want %v", states(), want)

	// Finish once (the second is refused, and not retried).
	finishPath := path("/stacks/" + key + "/jobs/" + jobs[0] + "/finish")
	_, err = client.FinishJob(ctx, stacksapi.FinishJobRequest{StackKey: key, JobUUID: jobs[0], ExitStatus: 2, Detail: "failed by the Go client check"})
	c.noErr(err, "FinishJob")
	_, err = client.FinishJob(ctx, stacksapi.FinishJobRequest{StackKey: key, JobUUID: jobs[0], ExitStatus: 2, Detail: "again"})
	c.that(status(err) == 422, "second FinishJob: want 422, got %v", err)
	c.that(transport.count("POST", finishPath) == 2, "FinishJob: %d requests, want 2 (a 422 is not retried)", transport.count("POST", finishPath))
	c.that(states()[jobs[0]] == "finished", "GetJobStates after finish: %v", states())

	notes, _, err := client.CreateStackNotifications(ctx, stacksapi.CreateStackNotificationsRequest{StackKey: key, Notifications: []stacksapi.StackNotification{
		{JobUUID: jobs[1], Detail: "pod pending", Timestamp: time.Now()},
		{JobUUID: unknown, Detail: "who"},
	}})
	c.noErr(err, "CreateStackNotifications")
	c.that(len(notes.Errors) == 1 && reflect.DeepEqual(notes.Errors[0].Indexes, []int{1}), "CreateStackNotifications: errors %+v", notes.Errors)

	// Rate limits (list-scheduled-jobs: 10 per second). Without retry, the 11th call in a burst is a 429…
	var limited error
	for i := 0; i < 15 && limited == nil; i++ {
		_, _, limited = client.ListScheduledJobs(ctx, stacksapi.ListScheduledJobsRequest{StackKey: key, ClusterQueueKey: *queue}, stacksapi.WithNoRetry())
	}
	c.that(status(limited) == 429, "burst of ListScheduledJobs: want a 429, got %v", limited)
	// …and with the client's retrier, a limited call waits Retry-After and then succeeds.
	listPath := path("/stacks/" + key + "/scheduled-jobs")
	before := transport.count("GET", listPath)
	start := time.Now()
	_, _, err = client.ListScheduledJobs(ctx, stacksapi.ListScheduledJobsRequest{StackKey: key, ClusterQueueKey: *queue})
	c.noErr(err, "ListScheduledJobs while limited, with retries")
	c.that(transport.count("GET", listPath)-before >= 2, "ListScheduledJobs while limited: %d requests, want a retry", transport.count("GET", listPath)-before)
	c.that(time.Since(start) >= 500*time.Millisecond, "ListScheduledJobs while limited: answered after %v, before Retry-After", time.Since(start))

	// A wrong token: 401, not retried.
	wrong, err := stacksapi.NewClient("bkct_wrong", stacksapi.WithBaseURL(base), stacksapi.WithHTTPClient(httpClient))
	c.noErr(err, "NewClient")
	registerPath := path("/stacks/register")
	before = transport.count("POST", registerPath)
	_, _, err = wrong.RegisterStack(ctx, stacksapi.RegisterStackRequest{Key: key, Type: stacksapi.StackTypeCustom, QueueKey: *queue, Metadata: map[string]string{}})
	c.that(status(err) == 401, "RegisterStack with a wrong token: want 401, got %v", err)
	c.that(transport.count("POST", registerPath)-before == 1, "RegisterStack with a wrong token: retried")

	// Deregister: the stack's calls are 404 from then on.
	_, err = client.DeregisterStack(ctx, key)
	c.noErr(err, "DeregisterStack")
	_, _, err = client.GetJobStates(ctx, stacksapi.GetJobStatesRequest{StackKey: key, JobUUIDs: jobs})
	c.that(status(err) == 404, "GetJobStates after deregister: want 404, got %v", err)

	fmt.Printf("stacksapi %s: %d checks passed\n", stacksapi.Version, c.passed)
}

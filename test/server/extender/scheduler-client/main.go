// Command scheduler-client calls berth the way kube-scheduler does, through a modelled Kubernetes Service, and
// reports every failed call. It is what test/server/extender/drain.test.ts runs across SIGTERM of a replica.
//
// The client is kube-scheduler's (k8s.io/kubernetes pkg/scheduler/extender.go, v1.36): one http.Client per
// extender, built from http.Transport{} with k8s.io/apimachinery's SetTransportDefaults (idle connections kept
// 90 s, at most 2 idle per host, TLS handshake timeout 10 s), a 5 s timeout for the whole call, and send():
// POST of a JSON body from bytes.Reader, any status other than 200 an error, no retry. Each -clients goroutine is
// one scheduler: it calls filter and then prioritize, one call at a time, over its own client.
//
// The Service is modelled where kube-proxy acts: when a client opens a connection, it is sent to one of the
// endpoints whose last readiness probe passed (round robin), and it stays with that endpoint until either side
// closes it, as conntrack keeps an established flow on its endpoint after the endpoint leaves the Service. The
// probe is the kubelet's: GET /readyz on a new connection every -probe-period, ready on 200.
//
// Input on stdin: "stop N" makes every client stop after N more calls in total; then one JSON summary is
// printed on stdout. "warm" is printed once every client has completed -warm calls.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type service struct {
	endpoints []string
	mu        sync.Mutex
	ready     map[string]bool
	next      int
	dials     map[string]int
}

// probe runs the readiness probes forever; probed is closed once every endpoint has been probed.
func (s *service) probe(period time.Duration, probed chan<- struct{}) {
	prober := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for round := 0; ; round++ {
		for _, ep := range s.endpoints {
			ok := false
			if res, err := prober.Get("http://" + ep + "/readyz"); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				ok = res.StatusCode == http.StatusOK
			}
			s.mu.Lock()
			s.ready[ep] = ok
			s.mu.Unlock()
		}
		if round == 0 {
			close(probed)
		}
		time.Sleep(period)
	}
}

func (s *service) dial(ctx context.Context, network, _ string) (net.Conn, error) {
	s.mu.Lock()
	var ep string
	for i := 0; i < len(s.endpoints) && ep == ""; i++ {
		candidate := s.endpoints[(s.next+i)%len(s.endpoints)]
		if s.ready[candidate] {
			ep = candidate
			s.next = (s.next + i + 1) % len(s.endpoints)
		}
	}
	if ep != "" {
		s.dials[ep]++
	}
	s.mu.Unlock()
	if ep == "" {
		return nil, errors.New("no ready endpoint behind the service")
	}
	var d net.Dialer
	return d.DialContext(ctx, network, ep)
}

type backendStats struct {
	Calls         int `json:"calls"`
	CloseAnswered int `json:"closeAnswered"`
	Dials         int `json:"dials"`
}

type failure struct {
	Verb    string `json:"verb"`
	Backend string `json:"backend"`
	Reused  bool   `json:"reused"`
	Error   string `json:"error"`
}

type summary struct {
	Calls    int                      `json:"calls"`
	Failures []failure                `json:"failures"`
	Backends map[string]*backendStats `json:"backends"`
}

type recorder struct {
	mu  sync.Mutex
	sum summary
}

func (r *recorder) record(verb, backend string, reused, closeAnswered bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Calls++
	if err != nil {
		r.sum.Failures = append(r.sum.Failures, failure{verb, backend, reused, err.Error()})
		return
	}
	b := r.sum.Backends[backend]
	if b == nil {
		b = &backendStats{}
		r.sum.Backends[backend] = b
	}
	b.Calls++
	if closeAnswered {
		b.CloseAnswered++
	}
}

// newExtenderClient is kube-scheduler's client: SetTransportDefaults(&http.Transport{}) and HTTPTimeout.
func newExtenderClient(svc *service) *http.Client {
	transport := &http.Transport{
		DialContext:         svc.dial,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: transport, Timeout: 5 * time.Second}
}

// send is kube-scheduler's HTTPExtender.send, with the backend that answered noted down.
func send(client *http.Client, url string, body []byte, rec *recorder, verb string) {
	var backend string
	var reused bool
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		backend = info.Conn.RemoteAddr().String()
		reused = info.Reused
	}}
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		rec.record(verb, backend, reused, false, err)
		return
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		rec.record(verb, backend, reused, false, err)
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		rec.record(verb, backend, reused, false, fmt.Errorf("failed %v with extender at URL %v, code %v", verb, url, res.StatusCode))
		return
	}
	var decoded any
	err = json.NewDecoder(res.Body).Decode(&decoded)
	rec.record(verb, backend, reused, res.Close, err)
}

func main() {
	endpoints := flag.String("endpoints", "", "comma-separated host:port of the replicas behind the service")
	bodyFile := flag.String("body", "", "file with the ExtenderArgs JSON to send")
	clients := flag.Int("clients", 4, "concurrent schedulers")
	probePeriod := flag.Duration("probe-period", 200*time.Millisecond, "readiness probe period")
	warm := flag.Int("warm", 20, "calls per client before printing warm")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	svc := &service{endpoints: strings.Split(*endpoints, ","), ready: map[string]bool{}, dials: map[string]int{}}
	probed := make(chan struct{})
	go svc.probe(*probePeriod, probed)
	<-probed // as a Service has its endpoints before it gets traffic
	rec := &recorder{sum: summary{Failures: []failure{}, Backends: map[string]*backendStats{}}}

	var remaining atomic.Int64
	remaining.Store(1 << 62)
	var warmed sync.WaitGroup
	var done sync.WaitGroup
	warmed.Add(*clients)
	done.Add(*clients)
	for c := 0; c < *clients; c++ {
		go func() {
			defer done.Done()
			client := newExtenderClient(svc)
			for n := 0; ; n++ {
				send(client, "http://berth-extender.berth-system.svc/scheduler/filter", body, rec, "filter")
				send(client, "http://berth-extender.berth-system.svc/scheduler/prioritize", body, rec, "prioritize")
				if n+1 == *warm {
					warmed.Done()
				}
				if remaining.Add(-2) < 0 {
					return
				}
			}
		}()
	}
	go func() {
		warmed.Wait()
		fmt.Println("warm")
	}()
	scanner := bufio.NewScanner(os.Stdin)
	stopAfter := int64(0) // stdin closed without "stop N": stop now
	for scanner.Scan() {
		if _, err := fmt.Sscanf(scanner.Text(), "stop %d", &stopAfter); err == nil {
			break
		}
	}
	remaining.Store(stopAfter)
	done.Wait()
	svc.mu.Lock()
	for ep, n := range svc.dials {
		if rec.sum.Backends[ep] == nil {
			rec.sum.Backends[ep] = &backendStats{}
		}
		rec.sum.Backends[ep].Dials = n
	}
	svc.mu.Unlock()
	out, _ := json.Marshal(rec.sum)
	fmt.Println(string(out))
}

package cluster

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// Event is something that happened to an object (Scaled up, Started,
// Unhealthy), as kubectl describe shows under Events. A namespace's
// events are a file of JSON documents (events.json); the newest
// maxEvents are kept, and an event like the one before it for the same
// object counts up (x3 over 10s) instead of adding a line.
type Event struct {
	Type           string `json:"type"` // Normal or Warning
	Reason         string `json:"reason"`
	Message        string `json:"message"`
	Kind           string `json:"kind"`
	Name           string `json:"name"`
	UID            string `json:"uid"`
	Count          int    `json:"count"`
	FirstTimestamp Time   `json:"firstTimestamp"`
	LastTimestamp  Time   `json:"lastTimestamp"`
}

const maxEvents = 500

func (s *Store) eventsPath() string { return filepath.Join(s.dir, "events.json") }

func (s *Store) readEvents() []Event {
	var evs []Event
	b, err := os.ReadFile(s.eventsPath())
	if err == nil {
		json.Unmarshal(b, &evs)
	}
	return evs
}

// Event records an event of o.
func (s *Store) Event(o *Object, typ, reason, msg string) {
	unlock, err := s.lock()
	if err != nil {
		return
	}
	defer unlock()
	evs := s.readEvents()
	now := Now()
	for i := len(evs) - 1; i >= 0 && i >= len(evs)-20; i-- {
		e := &evs[i]
		if e.UID == o.Meta.UID && e.Reason == reason && e.Message == msg {
			e.Count++
			e.LastTimestamp = now
			s.writeEvents(evs)
			return
		}
	}
	evs = append(evs, Event{Type: typ, Reason: reason, Message: msg, Kind: o.Kind(), Name: o.Name(), UID: o.Meta.UID, Count: 1, FirstTimestamp: now, LastTimestamp: now})
	if len(evs) > maxEvents {
		evs = evs[len(evs)-maxEvents:]
	}
	s.writeEvents(evs)
}

func (s *Store) writeEvents(evs []Event) {
	if b, err := json.Marshal(evs); err == nil {
		writeFile(s.eventsPath(), b)
	}
}

// Events are the events of the object with uid, oldest first; all of
// the namespace's for "".
func (s *Store) Events(uid string) []Event {
	var out []Event
	for _, e := range s.readEvents() {
		if uid == "" || e.UID == uid {
			out = append(out, e)
		}
	}
	return out
}

package container

import "time"

// Inspect is docker's container inspect JSON, the fields kist knows.
type Inspect struct {
	ID      string    `json:"Id"`
	Created time.Time `json:"Created"`
	Path    string    `json:"Path"`
	Args    []string  `json:"Args"`
	State   struct {
		Status     string    `json:"Status"`
		Running    bool      `json:"Running"`
		Dead       bool      `json:"Dead"`
		Pid        int       `json:"Pid"`
		ExitCode   int       `json:"ExitCode"`
		StartedAt  time.Time `json:"StartedAt"`
		FinishedAt time.Time `json:"FinishedAt"`
		Health     *struct {
			Status        string      `json:"Status"`
			FailingStreak int         `json:"FailingStreak"`
			Log           []HealthLog `json:"Log"`
		} `json:"Health,omitempty"`
	} `json:"State"`
	Image  string `json:"Image"`
	Name   string `json:"Name"`
	Mounts []struct {
		Type        string `json:"Type"`
		Name        string `json:"Name"`
		Destination string `json:"Destination,omitempty"`
	} `json:"Mounts"`
	Config struct {
		Image       string `json:"Image"`
		StopSignal  string `json:"StopSignal,omitempty"`
		StopTimeout *int   `json:"StopTimeout,omitempty"` // seconds
	} `json:"Config"`
}

// HealthLog is one health check's result (kist keeps the last one).
type HealthLog struct {
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// Inspect describes the container as docker inspect does.
func (r *Record) Inspect(runDir string) *Inspect {
	st := r.State(runDir)
	in := &Inspect{ID: r.ID, Created: r.Created, Image: "sha256:" + r.ImageID, Name: "/" + r.Name}
	if r.Name == "" {
		in.Name = "/" + r.Short()
	}
	if len(r.Command) > 0 {
		in.Path, in.Args = r.Command[0], r.Command[1:]
	}
	status := st.Status
	if status == Dead {
		status = "dead"
	}
	in.State.Status, in.State.Running, in.State.Dead = status, st.Status == Running, st.Status == Dead
	in.State.Pid, in.State.ExitCode = st.Pid, st.ExitCode
	in.State.StartedAt, in.State.FinishedAt = st.StartedAt, st.FinishedAt
	if h := st.Health; h != nil {
		in.State.Health = &struct {
			Status        string      `json:"Status"`
			FailingStreak int         `json:"FailingStreak"`
			Log           []HealthLog `json:"Log"`
		}{Status: h.Status, FailingStreak: h.FailingStreak}
		if !h.LastEnd.IsZero() {
			in.State.Health.Log = []HealthLog{{End: h.LastEnd, ExitCode: h.LastExitCode, Output: h.LastOutput}}
		}
	}
	in.Config.Image, in.Config.StopSignal = r.Image, r.StopSignal
	if r.StopTimeout > 0 {
		secs := int(r.StopTimeout.Seconds())
		in.Config.StopTimeout = &secs
	}
	for _, v := range r.Volumes {
		in.Mounts = append(in.Mounts, struct {
			Type        string `json:"Type"`
			Name        string `json:"Name"`
			Destination string `json:"Destination,omitempty"`
		}{Type: "volume", Name: v})
	}
	return in
}

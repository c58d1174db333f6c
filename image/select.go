package image

import "time"

// ListOptions say which images Store.Select lists: kist images' flags.
type ListOptions struct {
	// All lists intermediate images too: images without a name that
	// another image is built on (an old base whose name moved to a new
	// build, say), which docker images hides as well.
	All bool
	// Filters are --filter KEY=VALUE arguments (see ParseFilters).
	Filters []string
	// Name, when set, keeps the images named like REPOSITORY[:TAG] (the
	// argument of kist images).
	Name string
}

// Select lists the images as kist images does: one Summary per name,
// newest first, the toolbox image always among them.
func (s *Store) Select(o ListOptions) ([]Summary, error) {
	f, err := ParseFilters(o.Filters)
	if err != nil {
		return nil, err
	}
	if err := s.EnsureToolbox(); err != nil {
		return nil, err
	}
	if f.beforeT, err = s.createdOf(f.before); err != nil {
		return nil, err
	}
	if f.sinceT, err = s.createdOf(f.since); err != nil {
		return nil, err
	}
	list, err := s.List()
	if err == nil && o.Name != "" {
		list, err = matchName(list, o.Name)
	}
	if err != nil {
		return nil, err
	}
	hidden := map[string]bool{}
	if !o.All {
		if hidden, err = s.intermediate(); err != nil {
			return nil, err
		}
	}
	var out []Summary
	for _, sum := range list {
		if !hidden[sum.ID] && f.Match(sum, s.labelsIf(f.NeedsLabels(), sum.ID)) {
			out = append(out, sum)
		}
	}
	return out, nil
}

// createdOf is when image ref was created, as kist images shows it
// (zero for "").
func (s *Store) createdOf(ref string) (time.Time, error) {
	if ref == "" {
		return time.Time{}, nil
	}
	img, err := s.Lookup(ref)
	if err != nil {
		return time.Time{}, err
	}
	if cfg, err := s.Config(img.ID); err == nil && !cfg.Created.IsZero() {
		return cfg.Created.Time, nil
	}
	return img.Created, nil
}

// labelsIf returns image id's labels when need says so.
func (s *Store) labelsIf(need bool, id string) map[string]string {
	if !need {
		return nil
	}
	cfg, err := s.Config(id)
	if err != nil {
		return nil
	}
	return cfg.Config.Labels
}

// intermediate are the images without a name whose top layer another
// image's layers are built on.
func (s *Store) intermediate() (map[string]bool, error) {
	imgs, err := s.s.Images()
	if err != nil {
		return nil, err
	}
	layers, err := s.s.Layers()
	if err != nil {
		return nil, err
	}
	parent := map[string]string{}
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	below := map[string]bool{} // layers an image's top layer sits on
	for _, img := range imgs {
		for id := parent[img.TopLayer]; id != "" && !below[id]; id = parent[id] {
			below[id] = true
		}
	}
	out := map[string]bool{}
	for _, img := range imgs {
		if len(img.Names) == 0 && below[img.TopLayer] {
			out[img.ID] = true
		}
	}
	return out, nil
}

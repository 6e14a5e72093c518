package exchangesim

import (
	"context"
	"errors"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// GetItem implements ewsserver.GetItemBackend: one message per requested id, in request
// order, each with the item in the requested shape or the id's own error — an empty id
// ErrorInvalidIdEmpty, an unparsable one ErrorInvalidIdMalformed, one of another mailbox
// or of an item that is gone ErrorItemNotFound. A ChangeKey is not checked: GetItem
// returns the current version. Recurring series are not modelled, so occurrence and
// recurring-master ids find nothing. An invalid shape fails the whole request (a schema
// fault).
func (s *Simulator) GetItem(ctx context.Context, c *ewsserver.Call, req *ews.GetItemRequest) (*ews.GetItemResponse, error) {
	sh, err := compileItemShape(req.ItemShape, false)
	var schemaErr *ews.SchemaError
	if errors.As(err, &schemaErr) {
		return nil, err
	}
	ids := req.ItemIds.Ids
	resp := &ews.GetItemResponse{ResponseMessages: make([]ews.GetItemResponseMessage, len(ids))}
	items := make([]ews.Item, len(ids))
	errs := make([]error, len(ids))
	mb, mbErr := s.mailbox(ctx, c)
	switch {
	case err != nil:
		fillErrors(errs, err)
	case mbErr != nil:
		fillErrors(errs, mbErr)
	default:
		if err := mb.renderItems(ids, items, errs); err != nil {
			fillErrors(errs, err)
		}
	}
	var full ews.Item // the rendered item a shaped one is made of
	for i := range ids {
		msg := &resp.ResponseMessages[i]
		if errs[i] != nil {
			msg.ResponseMessage = ews.FailureFrom(errs[i])
			continue
		}
		msg.ResponseMessage = ews.Success()
		// Shaped in place: each message's Items is a one-item window of the batch's slice,
		// so a batch of 512 allocates its items once.
		full = items[i]
		sh.applyTo(&items[i], &full)
		msg.Items.Items = items[i : i+1 : i+1]
	}
	return resp, nil
}

func fillErrors(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}

// renderItems materializes the items of ids, under one hold of the mailbox lock: items[i]
// gets the item, or errs[i] the id's error.
func (m *Mailbox) renderItems(ids []ews.BaseItemId, items []ews.Item, errs []error) error {
	if err := m.begin(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for i, id := range ids {
		switch id.XMLName.Local {
		case "t:OccurrenceItemId":
			errs[i] = m.seriesError(id.RecurringMasterId)
			continue
		case "t:RecurringMasterItemId":
			errs[i] = m.seriesError(id.OccurrenceId)
			continue
		}
		if id.Id == "" {
			errs[i] = errIDEmpty()
			continue
		}
		f, inst, r, err := m.resolveItem(id.Id)
		if err != nil {
			errs[i] = err
			continue
		}
		items[i] = m.render(f, inst, r)
	}
	return nil
}

// seriesError is the answer to an occurrence or recurring-master id: no item of the
// simulator is recurring.
func (m *Mailbox) seriesError(id string) error {
	if id == "" {
		return errIDEmpty()
	}
	if _, _, _, err := m.resolveItem(id); err != nil {
		return err
	}
	return errItemNotFound()
}

func errIDEmpty() error {
	return &ews.ResponseError{Code: "ErrorInvalidIdEmpty", Message: "Id must be non-empty."}
}
